import { concatWith, defer, ignoreElements, Observable, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ChatContinuation, ChatResult, ConversationStep, RawEvent, ThreadConfig, TurnEvent, TurnOverrides } from '../models';
import { inactivityTimeout } from '../operators/inactivity-timeout';
import { takeUntilTurnEnd } from '../operators/take-until-turn-end';
import { stepOf } from '../operators/to-steps';
import { isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import { ItemDeltaParamsCodec, TurnStartResultCodec } from '../protocol/codecs';
import { deltaItemType } from '../protocol/items';
import type { JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
import { turnOverrideParams } from '../protocol/params';
import type { TurnRouter } from './turn-router';
import type { TurnSession } from './turn-session';

/** Options of one chat call (see the API page). */
export interface ChatOptions {
  /** Run the turn on this thread; without it a new thread is started. */
  threadId?: string;
  /** Forwarded on turn/start as `user`. */
  user?: string;
  /** Forwarded on turn/start as `metadata`. */
  metadata?: Record<string, unknown>;
  /** Thread settings for the new thread, or applied by thread/resume to `threadId`. */
  threadConfig?: ThreadConfig;
  /** Per-turn overrides for turn/start. */
  turnOverrides?: TurnOverrides;
  /** Overrides the client's inactivity timeout for this call; `null` waits without limit. */
  inactivityTimeoutMs?: number | null;
  /** Resume a turn after `CodexTurnInactiveError` (no other option may be given then). */
  continuation?: ChatContinuation;
  /** Also interrupt the turn on the server when the subscriber unsubscribes mid-turn. */
  interruptOnUnsubscribe?: boolean;
}

/** What the engine needs from the client. */
export interface EngineHost {
  readonly router: TurnRouter;
  readonly scheduler: SchedulerLike | undefined;
  readonly inactivityTimeoutMs: number | null;
  readonly maxBufferedEvents: number;
  /** Most suspended (timed-out, resumable) turns kept; the oldest is dropped past it. */
  readonly maxSuspendedTurns: number;
  /** Null when the handshake is done (no promise per turn then). */
  ensureReady(): Promise<void> | null;
  /** The thread a new turn runs on: starts, resumes or reuses one. */
  threadFor(options: ChatOptions): string | Promise<string>;
  request(method: string, params: unknown): Promise<unknown>;
  /** Sends turn/start (the client tracks the thread while it is in flight). */
  startTurn(params: Record<string, unknown>): Promise<unknown>;
  /** Fire-and-forget interrupt (unsubscribe with `interruptOnUnsubscribe`). */
  interruptQuietly(threadId: string, turnId: string): void;
  /** The turn ended or was abandoned: drop its pending approvals. */
  turnFinished(session: TurnSession): void;
}

const CONTINUATION_EXCLUSIVE = ['threadId', 'user', 'metadata', 'threadConfig', 'turnOverrides'] as const;

/** Throws `TypeError` for option combinations the API forbids. */
export function validateChatArgs(text: string | undefined, options: ChatOptions): void {
  if (options.continuation) {
    const given = [...(text !== undefined ? ['text'] : []), ...CONTINUATION_EXCLUSIVE.filter((k) => options[k] !== undefined)];
    if (given.length) throw new TypeError(`continuation cannot be combined with: ${given.join(', ')}`);
    return;
  }
  if (typeof text !== 'string') throw new TypeError('text is required (unless resuming with a continuation)');
}

type Mode = 'once' | 'stream';

/** Turns: starting, resuming, and shaping a turn's frames into steps, events or a result. */
export class TurnEngine {
  private readonly suspended = new Set<TurnSession>();

  constructor(private readonly host: EngineHost) {}

  steps$(text: string | undefined, options: ChatOptions, expectedThread?: string): Observable<ConversationStep> {
    return this.turn$(text, options, 'stream', false, expectedThread, (frames$, session) =>
      frames$.pipe(mapDefined((frame) => stepOf(frame, session.seenItemIds))),
    );
  }

  events$(text: string | undefined, options: ChatOptions, expectedThread?: string): Observable<TurnEvent> {
    return this.turn$(text, options, 'stream', true, expectedThread, (frames$, session, fresh) => {
      const ids = { threadId: session.threadId, turnId: session.turnId };
      const events$: Observable<TurnEvent> = frames$.pipe(
        mapDefined((frame) => eventOf(frame, session, ids)),
        concatWith(defer(() => this.result(session, false)).pipe(mapDefined((result) => ({ ...ids, type: 'completed' as const, result })))),
      );
      return fresh ? events$.pipe(startWithEvent<TurnEvent>({ ...ids, type: 'started' })) : events$;
    });
  }

  result$(text: string | undefined, options: ChatOptions, expectedThread?: string): Observable<ChatResult> {
    return this.turn$(text, options, 'once', true, expectedThread, (frames$, session) =>
      frames$.pipe(ignoreElements(), concatWith(defer(() => this.result(session, true)))),
    );
  }

  /** The session a continuation names, checked against mode and thread. */
  sessionFor(c: ChatContinuation, mode: Mode | null, expectedThread?: string): TurnSession {
    const session = this.host.router.get(c.turnId);
    if (!session)
      throw new CodexProtocolError(`unknown turn ${c.turnId}: nothing to resume (it ended, was cancelled, or belongs to another client)`);
    if (session.threadId !== c.threadId || (expectedThread !== undefined && expectedThread !== c.threadId)) {
      throw new CodexProtocolError(`continuation of thread ${c.threadId} does not belong to thread ${expectedThread ?? session.threadId}`);
    }
    if (mode && c.mode !== mode) {
      throw new CodexProtocolError(`continuation of mode '${c.mode}' cannot resume a '${mode}' call`);
    }
    if (session.attached) throw new CodexProtocolError(`turn ${c.turnId} is already being consumed`);
    return session;
  }

  /** Forgets a suspended session (cancel, or eviction). */
  release(session: TurnSession): void {
    this.suspended.delete(session);
    this.host.router.remove(session);
    this.host.turnFinished(session);
  }

  private turn$<R>(
    text: string | undefined,
    options: ChatOptions,
    mode: Mode,
    retain: boolean,
    expectedThread: string | undefined,
    /** Shapes the turn's frames (inactivity-guarded, ending with the turn) into the call's output. */
    shape: (frames$: Observable<JsonRpcMessage>, session: TurnSession, fresh: boolean) => Observable<R>,
  ): Observable<R> {
    validateChatArgs(text, options);
    const host = this.host;
    const idleMs = options.inactivityTimeoutMs !== undefined ? options.inactivityTimeoutMs : host.inactivityTimeoutMs;
    return new Observable<R>((subscriber) => {
      let session: TurnSession | undefined;
      let inner: Subscription | undefined;
      let done = false;
      const run = (s: TurnSession, fresh: boolean, cursor?: number) => {
        session = s;
        const frames$ = new Observable<JsonRpcMessage>((sub) => {
          s.attach(sub, cursor);
          return () => s.detach();
        }).pipe(
          inactivityTimeout(idleMs, () => s.continuation(), {
            scheduler: host.scheduler,
            isPaused: () => s.pendingApprovals.size > 0,
          }),
          takeUntilTurnEnd(),
        );
        inner = shape(frames$, s, fresh).subscribe({
          next: (v) => subscriber.next(v),
          error: (err) => {
            done = true;
            if ((err as Error)?.name === 'CodexTurnInactiveError' && !s.ended) this.suspend(s);
            else this.finish(s);
            subscriber.error(err);
          },
          complete: () => {
            done = true;
            this.finish(s);
            subscriber.complete();
          },
        });
      };

      if (options.continuation) {
        const c = options.continuation;
        try {
          const s = this.sessionFor(c, mode, expectedThread);
          const problem = s.resumeProblem(c.cursor);
          if (problem) {
            // A gap no continuation can close frees the turn; a wrong cursor leaves it resumable.
            if (problem.fatal) this.release(s);
            throw problem.error;
          }
          this.suspended.delete(s);
          s.mode = mode;
          if (retain) s.limits = { ...s.limits, retainEvents: true };
          run(s, false, c.cursor);
        } catch (err) {
          subscriber.error(err);
        }
      } else {
        const start = async () => {
          const ready = host.ensureReady();
          if (ready) await ready;
          const thread = host.threadFor(options);
          const threadId = typeof thread === 'string' ? thread : await thread;
          // Unsubscribed while the thread was being prepared: start no turn.
          if (subscriber.closed) return;
          const expectation = host.router.expect(threadId);
          let turnId: string;
          try {
            const params: Record<string, unknown> = {
              threadId,
              input: [{ type: 'text', text }],
              ...turnOverrideParams(options.turnOverrides),
            };
            if (options.user !== undefined) params.user = options.user;
            if (options.metadata !== undefined) params.metadata = options.metadata;
            const result = await host.startTurn(params);
            if (!TurnStartResultCodec.is(result)) {
              throw new CodexProtocolError('turn/start answered without a turn id', { data: result });
            }
            turnId = result.turn.id;
          } catch (err) {
            host.router.unexpect(expectation);
            throw err;
          }
          const s = host.router.bind(expectation, turnId, mode, {
            maxBufferedEvents: host.maxBufferedEvents,
            retainEvents: retain,
          });
          if (subscriber.closed) {
            this.abandon(s, options);
            return;
          }
          run(s, true);
        };
        start().catch((err) => subscriber.error(err));
      }
      return () => {
        inner?.unsubscribe();
        if (session && !done && !session.suspended) this.abandon(session, options);
      };
    });
  }

  private suspend(s: TurnSession): void {
    s.suspended = true;
    this.suspended.add(s);
    if (this.suspended.size > this.host.maxSuspendedTurns) {
      const oldest = this.suspended.values().next().value as TurnSession;
      this.release(oldest);
    }
  }

  private finish(s: TurnSession): void {
    this.suspended.delete(s);
    this.host.router.remove(s);
    this.host.turnFinished(s);
  }

  /** The subscriber left mid-turn: free the turn's state now (and interrupt, if asked). */
  private abandon(s: TurnSession, options: ChatOptions): void {
    this.finish(s);
    if (options.interruptOnUnsubscribe && !s.ended) this.host.interruptQuietly(s.threadId, s.turnId);
  }

  /** The result of an ended turn; with `fallback`, reads the thread when no message completed. */
  async result(s: TurnSession, fallback: boolean): Promise<ChatResult> {
    const base = { threadId: s.threadId, turnId: s.turnId, rawEvents: s.retained as readonly RawEvent[] };
    if (s.lastAgentMessage) {
      return {
        ...base,
        finalText: s.lastAgentMessage.text,
        assistantItemId: s.lastAgentMessage.itemId,
        completionSource: 'item_completed',
      };
    }
    if (fallback) {
      const read = await this.host.request('thread/read', { threadId: s.threadId, includeTurns: true });
      const found = lastAgentMessageOf(read, s.turnId);
      if (found) return { ...base, finalText: found.text, assistantItemId: found.itemId, completionSource: 'thread_read_fallback' };
      throw new CodexProtocolError(`turn ${s.turnId} completed without an assistant message`, { data: s.terminal });
    }
    return { ...base, finalText: '', assistantItemId: null, completionSource: null };
  }
}

/** Maps each value, dropping the ones that map to null (one operator, no inner observables). */
function mapDefined<T, R>(fn: (value: T) => R | null): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((sub) =>
      source.subscribe({
        next: (value) => {
          const out = fn(value);
          if (out !== null) sub.next(out);
        },
        error: (e) => sub.error(e),
        complete: () => sub.complete(),
      }),
    );
}

/** Emits `first` on subscription, before anything the source replays synchronously. */
function startWithEvent<T>(first: T): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((sub) => {
      sub.next(first);
      return source.subscribe(sub);
    });
}

function eventOf(frame: JsonRpcMessage, s: TurnSession, ids: { threadId: string; turnId: string }): TurnEvent | null {
  const method = (frame as { method: string }).method;
  const itemType = deltaItemType(method);
  if (itemType !== null) {
    const p = (frame as { params?: unknown }).params;
    // A literal, not `{ ...ids, ... }`: V8's spread into a literal with more keys costs microseconds per delta.
    return ItemDeltaParamsCodec.is(p)
      ? { threadId: ids.threadId, turnId: ids.turnId, type: 'delta', itemId: p.itemId, itemType, delta: p.delta }
      : null;
  }
  if (method === 'item/completed') {
    const step = stepOf(frame, s.seenItemIds);
    return step ? { ...ids, type: 'step', step } : null;
  }
  if (isApprovalMethod(method) && (frame as JsonRpcRequest).id !== undefined) {
    const parsed = parseApprovalRequest(frame as JsonRpcRequest);
    return parsed.ok ? { ...ids, type: 'approval', request: parsed.request } : null;
  }
  return null;
}

/** The last agent message of `turnId` in a thread/read result. */
export function lastAgentMessageOf(read: unknown, turnId: string): { itemId: string | null; text: string } | null {
  const turns = (read as { thread?: { turns?: unknown } })?.thread?.turns;
  if (!Array.isArray(turns)) return null;
  const turn = turns.find((t) => (t as { id?: unknown })?.id === turnId) as { items?: unknown } | undefined;
  const items = Array.isArray(turn?.items) ? (turn!.items as Array<Record<string, unknown>>) : [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item?.type === 'agentMessage' && typeof item.text === 'string') {
      return { itemId: typeof item.id === 'string' ? item.id : null, text: item.text };
    }
  }
  return null;
}
