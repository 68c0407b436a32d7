import type { SchedulerLike, Subscription } from 'rxjs';
import type { RequestOptions } from '../options';
import { CALL, type CallRules, type EngineRequests } from './requests';
import type { TurnRouter } from './turn-router';
import type { TurnSession } from './turn-session';

/** A call of `interrupt` waiting for its turn to start. */
interface Waiter {
  readonly threadId: string;
  readonly opts: RequestOptions;
  readonly rules: CallRules;
  resolve(): void;
  reject(err: Error): void;
  /** The end of its wait: the interrupt is sent anyway then. */
  timer: Subscription | null;
}

/**
 * `turn/interrupt` that reaches the server. Until the server has started a turn (its
 * `turn/started`), it answers an interrupt with -32600 "no active turn to interrupt" and the turn
 * runs on; so an interrupt asked for earlier is held until the turn starts (or ends, and then
 * there is nothing to interrupt).
 */
export class Interrupts {
  /** Turns no consumer follows any more, to interrupt once the server starts them. */
  private readonly later = new Map<string, string>();
  /**
   * Callers of `interrupt` waiting for a turn to start, by turn id. Keyed by turn rather than held
   * by the session: a session released meanwhile gets no more frames, the engine's `onStarted` and
   * `onEnded` do.
   */
  private readonly waiting = new Map<string, Waiter[]>();
  /** Callbacks waiting for an interrupted turn to end, with its thread and their deadline. */
  private readonly ending = new Map<string, { threadId: string; ended: () => void; timer: Subscription | null }>();

  constructor(
    private readonly requests: EngineRequests,
    private readonly router: TurnRouter,
    private readonly scheduler: SchedulerLike,
    private readonly requestTimeoutMs: number | null,
  ) {}

  /** Turns with an interrupt held or an end waited for (0 when nothing is left: for leak checks). */
  get size(): number {
    return this.later.size + this.waiting.size + this.ending.size;
  }

  /**
   * Interrupts the turn and resolves when the server acknowledged it, or at once when the turn
   * ended before it could be. A turn that has not started on the server yet is waited for (at
   * most the request timeout; then the interrupt is sent anyway), also once its chat has left.
   * `rules`: how the request goes out (`CALL.user`: after the handshake).
   */
  async interrupt(threadId: string, turnId: string, opts: RequestOptions = {}, rules: CallRules = CALL.user): Promise<void> {
    const session = this.router.get(turnId);
    if (session?.ended) return;
    const unstarted = session ? !session.started : this.later.has(turnId) || this.waiting.has(turnId);
    if (!unstarted) {
      await this.request(threadId, turnId, opts, rules);
      return;
    }
    const waitMs = opts.timeoutMs === undefined ? this.requestTimeoutMs : opts.timeoutMs;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { threadId, opts, rules, resolve, reject, timer: null };
      if (waitMs !== null) waiter.timer = this.scheduler.schedule(() => this.sendAnyway(turnId, waiter), waitMs);
      const list = this.waiting.get(turnId);
      if (list) list.push(waiter);
      else this.waiting.set(turnId, [waiter]);
      if (session) this.watch(turnId, session);
    });
  }

  /**
   * Fire and forget, for a turn nobody follows any more (its session is gone). `ended` runs once
   * the turn is over: its `turn/completed` came, or its thread went idle, the server refused the
   * interrupt (nothing to interrupt), the connection ended, or the request timeout passed (since
   * the call, and again since the interrupt went out) without any of these. A turn still not
   * started when that timeout passes is interrupted then anyway (its `turn/started` may have been
   * lost with a link), so that nothing is held for it for good.
   */
  interruptLater(threadId: string, turnId: string, started: boolean, ended?: () => void): void {
    const prior = this.ending.get(turnId);
    prior?.timer?.unsubscribe();
    const all = prior && ended ? () => (prior.ended(), ended()) : (ended ?? prior?.ended ?? noop);
    this.ending.set(turnId, { threadId, ended: all, timer: this.deadline(turnId) });
    if (started) this.send(threadId, turnId);
    else this.later.set(turnId, threadId);
  }

  /**
   * Runs `ended` once a turn nobody follows any more is over (its `turn/completed`, its thread idle,
   * or the server gone with it), without interrupting it and without a deadline: an abandoned
   * turn's thread is held until then.
   */
  awaitEnd(threadId: string, turnId: string, ended: () => void): void {
    const prior = this.ending.get(turnId);
    const all = prior ? () => (prior.ended(), ended()) : ended;
    this.ending.set(turnId, { threadId, ended: all, timer: prior?.timer ?? null });
  }

  /** The turns whose end is waited for, to look up after a link dropped (their end may have been lost with it). */
  awaitedTurns(): Array<{ threadId: string; turnId: string }> {
    return [...this.ending].map(([turnId, { threadId }]) => ({ threadId, turnId }));
  }

  /** A `turn/started` no session took. */
  onStarted(turnId: string): void {
    this.release(turnId);
    const threadId = this.later.get(turnId);
    if (threadId === undefined) return;
    this.later.delete(turnId);
    this.send(threadId, turnId);
  }

  /** A `turn/completed` no session took: nothing to interrupt any more. */
  onEnded(turnId: string): void {
    this.settle(turnId, null);
    this.later.delete(turnId);
    this.ended(turnId);
  }

  /** The thread went idle (`thread/status/changed`): its interrupted turns are over. */
  onThreadIdle(threadId: string): void {
    for (const [turnId, waiting] of [...this.ending]) if (waiting.threadId === threadId) this.ended(turnId);
  }

  /**
   * Forgets everything: the connection ended (`reason`: callers waiting for a turn's start fail
   * with it), or the server went with its turns (they resolve: nothing is left to interrupt).
   */
  clear(reason: Error | null = null): void {
    this.later.clear();
    for (const turnId of [...this.waiting.keys()]) this.settle(turnId, reason);
    for (const turnId of [...this.ending.keys()]) this.ended(turnId);
  }

  /** Follows a live session's start for the callers waiting on it (its frames go to it, not to `onStarted`). */
  private watch(turnId: string, session: TurnSession): void {
    session.whenStarted().then(
      () => (session.ended ? this.settle(turnId, null) : this.release(turnId)),
      (err: Error) => this.settle(turnId, err),
    );
  }

  /** The turn started: every caller waiting for it sends its interrupt. */
  private release(turnId: string): void {
    const list = this.waiting.get(turnId);
    if (!list) return;
    this.waiting.delete(turnId);
    for (const w of list) this.go(turnId, w);
  }

  /** A caller waited long enough: its interrupt goes out, started or not. */
  private sendAnyway(turnId: string, waiter: Waiter): void {
    const list = this.waiting.get(turnId);
    const i = list ? list.indexOf(waiter) : -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.waiting.delete(turnId);
    this.go(turnId, waiter);
  }

  private go(turnId: string, w: Waiter): void {
    w.timer?.unsubscribe();
    this.request(w.threadId, turnId, w.opts, w.rules).then(w.resolve, w.reject);
  }

  /** Ends the waits of a turn's callers: resolved (it ended, nothing to interrupt) or failed with `err`. */
  private settle(turnId: string, err: Error | null): void {
    const list = this.waiting.get(turnId);
    if (!list) return;
    this.waiting.delete(turnId);
    for (const w of list) {
      w.timer?.unsubscribe();
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private async request(threadId: string, turnId: string, opts: RequestOptions, rules: CallRules): Promise<void> {
    await this.requests.call('turn/interrupt', { threadId, turnId }, opts, rules);
  }

  private send(threadId: string, turnId: string): void {
    const waiting = this.ending.get(turnId);
    if (waiting) {
      waiting.timer?.unsubscribe();
      waiting.timer = this.deadline(turnId);
    }
    // A turn nobody follows: past the handshake already (it started), no caller to wait.
    this.requests.call('turn/interrupt', { threadId, turnId }, {}, CALL.engine).catch(() => this.ended(turnId));
  }

  private deadline(turnId: string): Subscription | null {
    const ms = this.requestTimeoutMs;
    return ms === null ? null : this.scheduler.schedule(() => this.expired(turnId), ms);
  }

  /** The request timeout passed: a turn still not started is interrupted anyway (and waited for once more); else it counts as ended. */
  private expired(turnId: string): void {
    const threadId = this.later.get(turnId);
    if (threadId === undefined) {
      this.ended(turnId);
      return;
    }
    this.later.delete(turnId);
    this.send(threadId, turnId);
  }

  private ended(turnId: string): void {
    // A turn that is over needs no interrupt any more.
    this.later.delete(turnId);
    const waiting = this.ending.get(turnId);
    if (!waiting) return;
    this.ending.delete(turnId);
    waiting.timer?.unsubscribe();
    waiting.ended();
  }
}

function noop(): void {}
