/**
 * An Angular service over codex-rx. The browser cannot reach `codex app-server` directly (the
 * server rejects any WebSocket `Origin`), so an app provides `CODEX_TRANSPORT`: a `Transport` to its
 * own backend (a WebSocket or SSE relay). Tests provide an `InMemoryTransport` instead.
 *
 * In a component:
 *   private readonly chat = inject(CodexChatService);
 *   readonly answer = toSignal(this.chat.text$('Explain this diff'), { initialValue: '' });
 */
import { DestroyRef, inject, Injectable, InjectionToken } from '@angular/core';
import { filter, Observable, scan, shareReplay, startWith } from 'rxjs';
import { CodexClient, type ChatOptions, type ChatResult, type Transport, type TurnEvent } from 'codex-rx';

/** The app's connection to its backend relay of the app-server. */
export const CODEX_TRANSPORT = new InjectionToken<Transport>('CODEX_TRANSPORT');

/** The client, one per injector: made from `CODEX_TRANSPORT` unless provided otherwise. */
export const CODEX_CLIENT = new InjectionToken<CodexClient>('CODEX_CLIENT', {
  providedIn: 'root',
  factory: () => new CodexClient(inject(CODEX_TRANSPORT), { requestTimeoutMs: 30_000 }),
});

/** What a chat view shows, updated on every event (signal-friendly: one value at a time). */
export interface ChatView {
  readonly status: 'waiting' | 'running' | 'done';
  /** The assistant's text so far, delta by delta. */
  readonly text: string;
  /** How many completed steps (reasoning, commands, messages, ...) the turn has had. */
  readonly steps: number;
  readonly result: ChatResult | null;
}

const initialView: ChatView = { status: 'waiting', text: '', steps: 0, result: null };

@Injectable({ providedIn: 'root' })
export class CodexChatService {
  private readonly client = inject(CODEX_CLIENT);

  constructor() {
    // The root injector (or the TestBed) is destroyed: stop the connection and fail pending work.
    inject(DestroyRef).onDestroy(() => {
      void this.client.close();
    });
  }

  /** One turn as events (started, delta, step, approval, completed). Cold: subscribing starts it. */
  chatEvents(text: string, options?: ChatOptions): Observable<TurnEvent> {
    return this.client.chatEvents(text, options);
  }

  /** The assistant's text so far, growing with each delta (for `toSignal`). */
  text$(text: string, options?: ChatOptions): Observable<string> {
    return this.chatEvents(text, options).pipe(
      filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta' && e.itemType === 'agentMessage'),
      scan((acc, e) => acc + e.delta, ''),
    );
  }

  /** The whole view state of one turn (for `toSignal(view$(...), { requireSync: true })`). */
  view$(text: string, options?: ChatOptions): Observable<ChatView> {
    return this.chatEvents(text, options).pipe(
      scan((view: ChatView, e: TurnEvent): ChatView => {
        switch (e.type) {
          case 'started':
            return { ...view, status: 'running' };
          case 'delta':
            return e.itemType === 'agentMessage' ? { ...view, text: view.text + e.delta } : view;
          case 'step':
            return { ...view, steps: view.steps + 1 };
          case 'completed':
            return { ...view, status: 'done', text: e.result.finalText, result: e.result };
          default:
            return view;
        }
      }, initialView),
      startWith(initialView),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }
}
