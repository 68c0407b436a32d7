/**
 * The example app: the page's own backend (../server.ts) says where its codex-rx relay is and hands
 * the page a token; the chat service talks through a `RelayTransport`.
 */
import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { RelayTransport } from 'codex-rx';
import { AppComponent } from './app/app.component';
import { CODEX_TRANSPORT } from './app/codex-chat.service';

interface RelayConfig {
  /** The relay's URL or path (`/codex`). */
  url: string;
  token: string;
}

fetch('/codex-relay.json', { cache: 'no-store' })
  .then((res) => {
    if (!res.ok) throw new Error(`/codex-relay.json: HTTP ${res.status}`);
    return res.json() as Promise<RelayConfig>;
  })
  .then((config) =>
    bootstrapApplication(AppComponent, {
      providers: [provideZonelessChangeDetection(), { provide: CODEX_TRANSPORT, useFactory: () => new RelayTransport(config) }],
    }),
  )
  .catch((err: unknown) => {
    document.body.textContent = `The app could not start: ${String(err)}`;
  });
