import { computed, inject, Injector, isSignal, ResourceRef, Signal } from '@angular/core';
import { rxResource, toObservable, toSignal } from '@angular/core/rxjs-interop';
import { catchError, map, Observable, of, switchMap } from 'rxjs';
import type { CodexClient } from '../client';
import type { ApprovalRequest } from '../models';
import type { ThreadView, TurnView } from '../view/thread-view';
import { CODEX_CLIENT } from './provide-codex';
import { lastAgentText } from './view-text';

/** Options of the signal helpers: where the client comes from (default: `injectCodex()` in the current injection context). */
export interface CodexSignalOptions {
  /** The client to follow the thread on, instead of `injectCodex()`'s. */
  readonly client?: CodexClient;
  /** For calls outside an injection context. */
  readonly injector?: Injector;
}

/** A thread's live view as signals (see `threadSignals`). Each is recomputed only when its part of the view changed. */
export interface ThreadSignals {
  /** The whole view; null until the stored turns were read (or without a thread id). */
  readonly view: Signal<ThreadView | null>;
  /** The thread's status (`idle`, `active`, ...); null until the server said. */
  readonly status: Signal<ThreadView['status']>;
  /** Its turns, oldest first. */
  readonly turns: Signal<readonly TurnView[]>;
  /** Its newest turn, null before the first. */
  readonly lastTurn: Signal<TurnView | null>;
  /** The last turn's agent message text, growing while it streams. */
  readonly text: Signal<string>;
  /** The thread's approval requests waiting for an answer. */
  readonly pendingApprovals: Signal<readonly ApprovalRequest[]>;
  /** Why the view stopped (a failed read, a closed client); null while it runs. */
  readonly error: Signal<unknown>;
}

const EMPTY: readonly never[] = [];

/**
 * A thread's live view (`client.threadView$`) as signals, for templates and `computed`s; `threadId`
 * may be a signal (the view follows it; null shows nothing). Unsubscribes with the injection
 * context it was made in. Zoneless-friendly: the values are signals.
 */
export function threadSignals(threadId: string | Signal<string | null | undefined>, options: CodexSignalOptions = {}): ThreadSignals {
  const injector = options.injector;
  const client = clientOf(options);
  const ids$: Observable<string | null | undefined> = isSignal(threadId) ? toObservable(threadId, { injector }) : of(threadId);
  const state$ = ids$.pipe(
    switchMap((id) =>
      id
        ? client.threadView$(id).pipe(
            map((view) => ({ view, error: null as unknown })),
            catchError((error: unknown) => of({ view: null, error })),
          )
        : of({ view: null, error: null as unknown }),
    ),
  );
  const state = toSignal(state$, { initialValue: { view: null as ThreadView | null, error: null as unknown }, injector });
  const view = computed(() => state().view);
  const turns = computed(() => view()?.turns ?? EMPTY);
  const lastTurn = computed(() => turns().at(-1) ?? null);
  return {
    view,
    status: computed(() => view()?.status ?? null),
    turns,
    lastTurn,
    text: computed(() => lastAgentText(lastTurn())),
    pendingApprovals: computed(() => view()?.pendingApprovals ?? EMPTY),
    error: computed(() => state().error),
  };
}

/**
 * The thread view as an Angular `rxResource` (value, status, error, reload), for apps built on
 * resources: `threadId` is its params (undefined: idle).
 */
export function threadViewResource(
  threadId: () => string | undefined,
  options: CodexSignalOptions = {},
): ResourceRef<ThreadView | undefined> {
  const injector = options.injector;
  const client = clientOf(options);
  const stream = (p: { params?: string; request?: string }) => client.threadView$((p.params ?? p.request)!);
  // Angular 20 names them params/stream, Angular 19 request/loader: both are given.
  return rxResource({ params: threadId, stream, request: threadId, loader: stream, injector } as never);
}

/** The client of the given injector, or of the current injection context. */
export function clientOf(options: CodexSignalOptions): CodexClient {
  return options.client ?? (options.injector ? options.injector.get(CODEX_CLIENT) : inject(CODEX_CLIENT));
}
