import type { Unsubscribable } from 'rxjs';
import { abortError } from '../abort';
import type { ChatOptions } from '../options';
import type { ChatInput } from '../protocol/input';
import type { TurnOutput } from './once-run';
import type { TurnSession } from './turn-session';

/**
 * How a call shapes its turn: attaches to the session (a `FrameSubscriber`), hands its frames,
 * shaped (steps, events, a result), to `out`; returns what stops it.
 */
export type TurnShaper<R> = (session: TurnSession, fresh: boolean, cursor: number | undefined, out: TurnOutput<R>) => Unsubscribable;

/** The owner of turn sessions (`Turns`), as a `TurnCall` needs it: how sessions are got and let go. */
export interface SessionOwner {
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

/** What a `TurnCall` is made of. */
export interface TurnCallSpec<R> {
  readonly options: ChatOptions;
  readonly mode: 'once' | 'stream';
  /** Keep the non-delta events for a `ChatResult` (chatOnce, chatEvents). */
  readonly retain: boolean;
  /** Where the call's output goes. */
  readonly out: TurnOutput<R>;
  /** How the call shapes its turn's frames into that output. */
  readonly shape: TurnShaper<R>;
}

/**
 * One turn call from start to end, whatever consumes it (`chat`, `chatEvents`, `chatOnce`): starts
 * the turn (or resumes the one a continuation names), hands its session to the consumer, and frees
 * it when the call ends: released when it completed or failed, suspended when it timed out,
 * abandoned when the caller left first (`unsubscribe()`, or the chat's signal aborted). Its state
 * is one object with methods, not a closure per step: a call is made per turn, and the closures
 * were a measurable share of a turn's set-up (BENCHMARKS.md, row `setup`).
 */
export class TurnCall<R> implements TurnOutput<R>, Unsubscribable {
  session: TurnSession | undefined = undefined;
  /** The caller left (unsubscribed, or the signal aborted). */
  left = false;
  readonly options: ChatOptions;
  readonly mode: 'once' | 'stream';
  /** Keep the non-delta events for a `ChatResult` (chatOnce, chatEvents). */
  readonly retain: boolean;
  private readonly out: TurnOutput<R>;
  private readonly shape: TurnShaper<R>;
  private inner: Unsubscribable | undefined = undefined;
  private done = false;

  constructor(
    private readonly owner: SessionOwner,
    spec: TurnCallSpec<R>,
  ) {
    this.options = spec.options;
    this.mode = spec.mode;
    this.retain = spec.retain;
    this.out = spec.out;
    this.shape = spec.shape;
  }

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
        this.run(this.owner.resumeTurn(this as TurnCall<unknown>), false, this.options.continuation.cursor);
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
    if (s && !this.done && !s.suspended) this.owner.abandonTurn(s, this.options);
  }

  /** The chat's signal aborted (this object is the listener, `handleEvent`: no closure per call). */
  handleEvent(): void {
    const signal = this.options.signal!;
    const error = abortError(signal, 'turn', this.session && `turn ${this.session.turnId}`);
    this.unsubscribe();
    this.out.error(error);
  }

  // ---- the shaper's output (TurnOutput) ---------------------------------------------------------

  next(value: R): void {
    this.out.next(value);
  }

  error(err: unknown): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this);
    const s = this.session!;
    // Timed out: the turn goes on on the server, and keeps its thread until it ends there.
    if ((err as Error)?.name === 'CodexTurnInactiveError' && !s.ended) this.owner.suspendTurn(s);
    else this.owner.releaseTurn(s);
    this.out.error(err);
  }

  complete(): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this);
    this.owner.releaseTurn(this.session!);
    this.out.complete();
  }

  // ---- internals --------------------------------------------------------------------------------

  private async startAndRun(text: ChatInput): Promise<void> {
    let started: TurnSession | null;
    try {
      started = await this.owner.startTurn(text, this as TurnCall<unknown>);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!started) return;
    // Left (unsubscribed, aborted) since startTurn() last looked: abandon the turn it started.
    if (this.left) this.owner.abandonTurn(started, this.options);
    else this.run(started, true);
  }

  private run(session: TurnSession, fresh: boolean, cursor?: number): void {
    this.session = session;
    this.inner = this.shape(session, fresh, cursor, this);
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
