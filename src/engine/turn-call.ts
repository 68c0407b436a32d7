import type { Unsubscribable } from 'rxjs';
import { abortError } from '../abort';
import type { ChatOptions } from '../options';
import type { ChatInput } from '../protocol/input';
import type { TurnSink } from './once-run';
import type { TurnSession } from './turn-session';

/** What consumes a call's turn: hands the session's frames, shaped, to `out`; returns what stops it. */
export type TurnConsumer<R> = (session: TurnSession, fresh: boolean, cursor: number | undefined, out: TurnSink<R>) => Unsubscribable;

/** What a `TurnCall` needs of the turn engine: how sessions are got and let go. */
export interface TurnCallHost {
  /** Starts the call's turn; null when the call left meanwhile (see `TurnCall.left`). */
  startTurn(text: ChatInput, call: TurnCall<unknown>): Promise<TurnSession | null>;
  /** The suspended session the call's continuation resumes (throws for a misuse). */
  resumeTurn(call: TurnCall<unknown>): TurnSession;
  /** The consumer finished (completed or failed): forget the session. */
  releaseTurn(session: TurnSession): void;
  /** Timed out: the turn goes on on the server, resumable by its continuation. */
  suspendTurn(session: TurnSession): void;
  /** The caller left before the turn ended. */
  abandonTurn(session: TurnSession, options: ChatOptions): void;
}

/**
 * One turn call from start to end, whatever consumes it (`chat`, `chatEvents`, `chatOnce`): starts
 * the turn (or resumes the one a continuation names), hands its session to the consumer, and frees
 * it when the call ends: released when it completed or failed, suspended when it timed out,
 * abandoned when the caller left first (`unsubscribe()`, or the chat's signal aborted). Its state
 * is one object with methods, not a closure per step: a call is made per turn, and the closures
 * were a measurable share of a turn's set-up (BENCHMARKS.md, row `setup`).
 */
export class TurnCall<R> implements TurnSink<R>, Unsubscribable {
  session: TurnSession | undefined = undefined;
  /** The caller left (unsubscribed, or the signal aborted). */
  left = false;
  private inner: Unsubscribable | undefined = undefined;
  private done = false;

  constructor(
    private readonly host: TurnCallHost,
    readonly options: ChatOptions,
    readonly mode: 'once' | 'stream',
    /** Keep the non-delta events for a `ChatResult` (chatOnce, chatEvents). */
    readonly retain: boolean,
    /** The thread a `ThreadHandle`'s call is bound to. */
    readonly expectedThread: string | undefined,
    private readonly out: TurnSink<R>,
    private readonly consume: TurnConsumer<R>,
  ) {}

  /** Runs the call; `unsubscribe()` is how the caller leaves. */
  begin(text: ChatInput | undefined): this {
    const { signal } = this.options;
    if (signal?.aborted) {
      this.done = true;
      this.out.error(abortError(signal, 'turn'));
      return this;
    }
    signal?.addEventListener('abort', this, { once: true });
    if (this.options.continuation) {
      try {
        this.run(this.host.resumeTurn(this as TurnCall<unknown>), false, this.options.continuation.cursor);
      } catch (err) {
        this.fail(err);
      }
    } else {
      void this.startAndRun(text!);
    }
    return this;
  }

  /** The caller leaves: abandons a turn that has not ended. */
  unsubscribe(): void {
    if (this.left) return;
    this.left = true;
    this.options.signal?.removeEventListener('abort', this);
    this.inner?.unsubscribe();
    const s = this.session;
    if (s && !this.done && !s.suspended) this.host.abandonTurn(s, this.options);
  }

  /** The chat's signal aborted (this object is the listener, `handleEvent`: no closure per call). */
  handleEvent(): void {
    const signal = this.options.signal!;
    const error = abortError(signal, 'turn', this.session && `turn ${this.session.turnId}`);
    this.unsubscribe();
    this.out.error(error);
  }

  // ---- the consumer's output (TurnSink) ----------------------------------------------------------

  next(value: R): void {
    this.out.next(value);
  }

  error(err: unknown): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this);
    const s = this.session!;
    // Timed out: the turn goes on on the server, and keeps its thread until it ends there.
    if ((err as Error)?.name === 'CodexTurnInactiveError' && !s.ended) this.host.suspendTurn(s);
    else this.host.releaseTurn(s);
    this.out.error(err);
  }

  complete(): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this);
    this.host.releaseTurn(this.session!);
    this.out.complete();
  }

  // ---- internals --------------------------------------------------------------------------------

  private async startAndRun(text: ChatInput): Promise<void> {
    let started: TurnSession | null;
    try {
      started = await this.host.startTurn(text, this as TurnCall<unknown>);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!started) return;
    // Left (unsubscribed, aborted) since startTurn() last looked: abandon the turn it started.
    if (this.left) this.host.abandonTurn(started, this.options);
    else this.run(started, true);
  }

  private run(session: TurnSession, fresh: boolean, cursor?: number): void {
    this.session = session;
    this.inner = this.consume(session, fresh, cursor, this);
    // The caller left during that subscribe (a take(1) of the `started` event, say): the teardown
    // ran before `inner` was set, so end it here, or its inactivity timer lives on.
    if (this.left) this.inner.unsubscribe();
  }

  /** The call failed before it had a session. */
  private fail(err: unknown): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this);
    this.out.error(err);
  }
}
