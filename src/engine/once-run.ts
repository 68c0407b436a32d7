import type { SchedulerLike, Unsubscribable } from 'rxjs';
import { CodexTurnInactiveError } from '../errors';
import type { ChatResult } from '../models';
import { turnFailure } from '../operators/take-until-turn-end';
import { isRetryNotice } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';
import type { Deadline, Deadlines } from '../streams/deadlines';
import type { FrameSubscriber, TurnSession } from './turn-session';

/** Where a turn call's output goes (steps, events, or the result): an Observable's subscriber, or a Promise's settlers. */
export interface TurnOutput<R> {
  next(value: R): void;
  error(err: unknown): void;
  complete(): void;
}

/** What a `OnceRun` needs of the engine. */
export interface OnceRunParts {
  /** The engine's clock. */
  readonly scheduler: SchedulerLike;
  /** The shared timer of every chatOnce's inactivity deadline. */
  readonly deadlines: Deadlines<OnceRun>;
  /** A turn/completed whose turn does not decode ends the turn as completed (non-strict). */
  readonly lenient: boolean;
  /** While true the turn's inactivity deadline is not enforced (an approval waits for a person). */
  isPaused(session: TurnSession): boolean;
  /** The result of the ended turn (a Promise when the stored turn must be read). */
  result(session: TurnSession): ChatResult | Promise<ChatResult>;
}

/**
 * `chatOnce`'s consumer of a turn: what `inactivityTimeout` and `takeUntilTurnEnd` do for the
 * streaming calls (the same rules, the same errors: `CodexTurnInactiveError` with its
 * continuation, `turnFailure` of the turn/completed), without an Observable chain. A chatOnce
 * wants one value at the end, and subscribing the operator chain per turn cost more CPU than the
 * rest of the turn's set-up (BENCHMARKS.md, row `setup`). Its inactivity deadline is one entry of
 * the engine's shared `Deadlines`, not a timer of its own.
 */
export class OnceRun implements FrameSubscriber, Deadline, Unsubscribable {
  /** When the inactivity deadline next falls due (Deadline). */
  at = Infinity;
  /** When the turn last showed activity, on the engine's clock. */
  private last = 0;
  /** No longer consuming the session (the turn ended, timed out or failed, or the caller left). */
  private closed = false;
  /** The caller left: nothing more reaches `out` (a result still being read is dropped). */
  private left = false;

  constructor(
    private readonly session: TurnSession,
    /** The engine's, shared by every run. */
    private readonly parts: OnceRunParts,
    /** Inactivity limit (null: none). */
    private readonly idleMs: number | null,
    private readonly out: TurnOutput<ChatResult>,
  ) {}

  /** Attaches to the session from `cursor` (replaying what it holds), then arms the deadline. */
  start(cursor: number | undefined): this {
    const { idleMs } = this;
    const timed = idleMs !== null && idleMs !== Infinity;
    if (timed) {
      this.last = this.parts.scheduler.now();
      this.at = this.last + idleMs;
    }
    try {
      this.session.attach(this, cursor);
    } catch (err) {
      // Not attached: nothing to detach.
      this.closed = true;
      this.out.error(err);
      return this;
    }
    // Armed only for a turn the replay did not end: on a fast server the whole turn often came
    // before its turn/start answer, and arming the shared timer just to disarm it cost a timer per turn.
    if (timed && !this.closed) this.parts.deadlines.add(this);
    return this;
  }

  next(frame: JsonRpcMessage): void {
    if (this.closed) return;
    if ((frame as { method?: string }).method === 'turn/completed') this.end(frame);
    // A server retrying (its `error` with `willRetry`) is stuck, not making progress.
    else if (this.at !== Infinity && !isRetryNotice(frame)) this.last = this.parts.scheduler.now();
  }

  /** The connection ended, or the turn failed (strict mode). */
  error(err: Error): void {
    if (this.closed) return;
    this.stop();
    this.out.error(err);
  }

  /** The deadline fell due: time out, unless there was activity since (then re-arm) or a pause. */
  expire(): void {
    if (this.closed) return;
    const { idleMs } = this;
    const { scheduler, deadlines } = this.parts;
    const now = scheduler.now();
    try {
      if (this.parts.isPaused(this.session)) {
        this.last = now;
      } else if (now - this.last >= idleMs!) {
        const error = new CodexTurnInactiveError(`turn inactive for ${idleMs} ms`, this.session.continuation(), idleMs!);
        this.stop();
        this.out.error(error);
        return;
      }
    } catch (err) {
      this.stop();
      this.out.error(err);
      return;
    }
    this.at = this.last + idleMs!;
    deadlines.add(this);
  }

  /** The caller left (its signal aborted): stop consuming; nothing more reaches `out`. */
  unsubscribe(): void {
    this.left = true;
    this.stop();
  }

  private end(frame: JsonRpcMessage): void {
    this.stop();
    const failure = turnFailure(frame, this.parts.lenient);
    if (failure) {
      this.out.error(failure);
      return;
    }
    let result: ChatResult | Promise<ChatResult>;
    try {
      result = this.parts.result(this.session);
    } catch (err) {
      this.out.error(err);
      return;
    }
    if (!(result instanceof Promise)) return this.deliver(result);
    result.then(
      (r) => this.deliver(r),
      (err) => {
        if (!this.left) this.out.error(err);
      },
    );
  }

  private deliver(result: ChatResult): void {
    if (this.left) return;
    this.out.next(result);
    this.out.complete();
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.parts.deadlines.delete(this);
    this.session.detach();
  }
}
