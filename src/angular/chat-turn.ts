import { computed, DestroyRef, inject, Signal, signal } from '@angular/core';
import { Subscription } from 'rxjs';
import type { ApprovalDecision, ApprovalRequest, ChatResult } from '../models';
import type { ChatOptions } from '../options';
import type { ChatInput } from '../protocol/input';
import type { ThreadView, TurnView } from '../view/thread-view';
import { clientOf, type CodexSignalOptions } from './thread-signals';
import { lastAgentText } from './view-text';

/** Where a `chatTurn` is: nothing sent yet, running, or ended. */
export type ChatTurnStatus = 'idle' | 'running' | 'done' | 'failed';

/** One turn at a time as signals (see `chatTurn`). */
export interface ChatTurn {
  /** `idle` before the first `send()`, `running` while the turn runs, then `done` or `failed`. */
  readonly status: Signal<ChatTurnStatus>;
  /** The thread the turn runs on, once it is known. */
  readonly threadId: Signal<string | null>;
  /** The server's id of the turn, once it started. */
  readonly turnId: Signal<string | null>;
  /** The turn in its thread's live view: its items (commands, messages, ...), usage, plan, diff. */
  readonly turn: Signal<TurnView | null>;
  /** The answer so far: the last agent message's text, growing with its deltas. */
  readonly text: Signal<string>;
  /** How many text deltas of the answer arrived. */
  readonly deltas: Signal<number>;
  /** Approval requests of this turn waiting for an answer (`answer()`). */
  readonly pendingApprovals: Signal<readonly ApprovalRequest[]>;
  /** The turn's result once it completed. */
  readonly result: Signal<ChatResult | null>;
  /** The error that ended the turn, if it failed. */
  readonly error: Signal<unknown>;
  /** Starts a turn (stopping to follow the previous one). */
  send(text: ChatInput, options?: ChatOptions): void;
  /** Answers one of `pendingApprovals`. */
  answer(request: ApprovalRequest, decision: ApprovalDecision): Promise<void>;
  /** Stops following the turn (the server's turn runs on). Also done when the injection context is destroyed. */
  stop(): void;
}

/**
 * A chat turn for a component: `send()` runs `chatEvents` and the signals follow it, built on the
 * thread's live view (`client.threadView$`) once the turn has started. Made in an injection context
 * (or with `options.injector`), whose destruction stops it.
 */
export function chatTurn(options: CodexSignalOptions = {}): ChatTurn {
  const client = clientOf(options);
  const status = signal<ChatTurnStatus>('idle');
  const threadId = signal<string | null>(null);
  const turnId = signal<string | null>(null);
  const view = signal<ThreadView | null>(null);
  const streamed = signal('');
  const deltas = signal(0);
  const asked = signal<readonly ApprovalRequest[]>([]);
  /** Requests answered here: the view lists them until the server confirms, which must not bring them back. */
  const answered = signal<ReadonlySet<unknown>>(new Set());
  const result = signal<ChatResult | null>(null);
  const error = signal<unknown>(null);
  let running = new Subscription();

  const turn = computed(() => view()?.turns.find((t) => t.id === turnId()) ?? null);
  const stop = () => running.unsubscribe();
  (options.injector?.get(DestroyRef) ?? inject(DestroyRef)).onDestroy(stop);

  return {
    status: status.asReadonly(),
    threadId: threadId.asReadonly(),
    turnId: turnId.asReadonly(),
    turn,
    // The view's text once it has the message; the deltas seen so far until then.
    text: computed(() => (turn() ? lastAgentText(turn()) || streamed() : streamed())),
    deltas: deltas.asReadonly(),
    pendingApprovals: computed(() => {
      // The requests seen on the turn (the view may have started after one came) and those the view
      // still lists; each leaves on its answer, its item's step, or the turn's end.
      const seen = asked();
      const done = answered();
      const listed = view()?.pendingApprovals.filter(
        (a) => a.turnId === turnId() && !done.has(a.requestId) && !seen.some((b) => b.requestId === a.requestId),
      );
      return listed?.length ? [...seen, ...listed] : seen;
    }),
    result: result.asReadonly(),
    error: error.asReadonly(),
    send(text, chatOptions) {
      stop();
      const subscription = new Subscription();
      running = subscription;
      threadId.set(null);
      turnId.set(null);
      view.set(null);
      result.set(null);
      error.set(null);
      streamed.set('');
      deltas.set(0);
      asked.set([]);
      answered.set(new Set());
      status.set('running');
      subscription.add(
        client.chatEvents(text, chatOptions).subscribe({
          next: (e) => {
            switch (e.type) {
              case 'started':
                threadId.set(e.threadId);
                turnId.set(e.turnId);
                subscription.add(client.threadView$(e.threadId).subscribe({ next: (v) => view.set(v), error: () => undefined }));
                break;
              case 'delta':
                if (e.itemType === 'agentMessage') {
                  streamed.update((t) => t + e.delta);
                  deltas.update((n) => n + 1);
                }
                break;
              case 'approval':
                asked.update((list) => [...list, e.request]);
                break;
              case 'step':
                asked.update((list) => list.filter((a) => a.itemId !== e.step.itemId));
                break;
              case 'completed':
                result.set(e.result);
                asked.set([]);
                status.set('done');
                break;
            }
          },
          error: (err: unknown) => {
            error.set(err);
            asked.set([]);
            status.set('failed');
          },
        }),
      );
    },
    async answer(request, decision) {
      await client.respondApproval(request, decision);
      answered.update((ids) => new Set(ids).add(request.requestId));
      asked.update((list) => list.filter((a) => a.requestId !== request.requestId));
    },
    stop,
  };
}
