import type { SchedulerLike, Subscription } from 'rxjs';
import type { RequestOptions } from '../options';
import type { JsonRpcConnection } from '../streams/connection';
import type { TurnRouter } from './turn-router';

/**
 * `turn/interrupt` that reaches the server. Until the server has started a turn (its
 * `turn/started`), it answers an interrupt with -32600 "no active turn to interrupt" and the turn
 * runs on; so an interrupt asked for earlier is held until the turn starts (or ends, and then
 * there is nothing to interrupt).
 */
export class Interrupts {
  /** Turns no consumer follows any more, to interrupt once the server starts them. */
  private readonly later = new Map<string, string>();
  /** Callbacks waiting for an interrupted turn to end, with its thread and their deadline. */
  private readonly ending = new Map<string, { threadId: string; ended: () => void; timer: Subscription | null }>();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly router: TurnRouter,
    private readonly scheduler: SchedulerLike,
    private readonly requestTimeoutMs: number | null,
  ) {}

  /**
   * Interrupts the turn and resolves when the server acknowledged it, or at once when the turn
   * ended before it could be. A turn this client follows that has not started on the server yet
   * is waited for (at most the request timeout; then the interrupt is sent anyway).
   */
  async interrupt(threadId: string, turnId: string, opts: RequestOptions = {}): Promise<void> {
    const session = this.router.get(turnId);
    if (session && !session.started && !session.ended) {
      const waitMs = opts.timeoutMs === undefined ? this.requestTimeoutMs : opts.timeoutMs;
      await new Promise<void>((resolve) => {
        const timer = waitMs === null ? null : this.scheduler.schedule(resolve, waitMs);
        session.whenStarted().then(
          () => (timer?.unsubscribe(), resolve()),
          () => (timer?.unsubscribe(), resolve()),
        );
      });
    }
    if (session?.ended) return;
    await this.connection.request('turn/interrupt', { threadId, turnId }, opts);
  }

  /**
   * Fire and forget, for a turn nobody follows any more (its session is gone). `ended` runs once
   * the turn is over: its `turn/completed` came, or its thread went idle, the server refused the
   * interrupt (nothing to interrupt), the connection ended, or the request timeout passed (since
   * the call, and again since the interrupt went out) without any of these.
   */
  interruptLater(threadId: string, turnId: string, started: boolean, ended?: () => void): void {
    if (ended) {
      const prior = this.ending.get(turnId);
      prior?.timer?.unsubscribe();
      const all = prior ? () => (prior.ended(), ended()) : ended;
      this.ending.set(turnId, { threadId, ended: all, timer: this.deadline(turnId) });
    }
    if (started) this.send(threadId, turnId);
    else this.later.set(turnId, threadId);
  }

  /** A `turn/started` no session took. */
  onStarted(turnId: string): void {
    const threadId = this.later.get(turnId);
    if (threadId === undefined) return;
    this.later.delete(turnId);
    this.send(threadId, turnId);
  }

  /** A `turn/completed` no session took: nothing to interrupt any more. */
  onEnded(turnId: string): void {
    this.later.delete(turnId);
    this.ended(turnId);
  }

  /** The thread went idle (`thread/status/changed`): its interrupted turns are over. */
  onThreadIdle(threadId: string): void {
    for (const [turnId, waiting] of [...this.ending]) if (waiting.threadId === threadId) this.ended(turnId);
  }

  clear(): void {
    this.later.clear();
    for (const turnId of [...this.ending.keys()]) this.ended(turnId);
  }

  private send(threadId: string, turnId: string): void {
    const waiting = this.ending.get(turnId);
    if (waiting) {
      waiting.timer?.unsubscribe();
      waiting.timer = this.deadline(turnId);
    }
    this.connection.request('turn/interrupt', { threadId, turnId }).catch(() => this.ended(turnId));
  }

  private deadline(turnId: string): Subscription | null {
    const ms = this.requestTimeoutMs;
    return ms === null ? null : this.scheduler.schedule(() => this.ended(turnId), ms);
  }

  private ended(turnId: string): void {
    const waiting = this.ending.get(turnId);
    if (!waiting) return;
    this.ending.delete(turnId);
    waiting.timer?.unsubscribe();
    waiting.ended();
  }
}
