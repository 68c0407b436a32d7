/**
 * The example app: the page's own backend (../server.ts) says where its codex-rx relay is and hands
 * the page a token; `provideCodex` makes the app's client on a `RelayTransport` to it.
 */
import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideCodex } from 'codex-rx/angular';
import { AppComponent } from './app/app.component';

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
  .then((relay) =>
    bootstrapApplication(AppComponent, {
      providers: [
        provideZonelessChangeDetection(),
        // Manual approvals: the page asks the user (Approve / Decline) instead of a handler.
        provideCodex({ relay, options: { requestTimeoutMs: 30_000, approvalMode: 'manual' } }),
      ],
    }),
  )
  .catch((err: unknown) => {
    document.body.textContent = `The app could not start: ${String(err)}`;
  });
