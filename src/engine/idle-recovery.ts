import type { SchedulerLike, Subscription } from 'rxjs';
import type { Diagnostic } from '../models';
import type { StoredTurn } from './stored-turns';
import type { TurnRouter } from './turn-router';
import type { TurnSession } from './turn-session';

/** Reads of a turn whose stored end is not settled, before that end is taken as it reads. */
const MAX_READS = 5;

/** What the recovery needs from the engine. */
export interface IdleRecoveryDeps {
  readonly router: TurnRouter;
  readonly scheduler: SchedulerLike;
  /** Wait after an idle status before reading the thread. */
  readonly graceMs: number;
  /** The turns the server stored for a thread, with every item. */
  readTurns(threadId: string): Promise<readonly StoredTurn[]>;
  report(diagnostic: Diagnostic): void;
}

/**
 * Known server bug: a turn whose thread went idle but whose `turn/completed` never comes. After
 * the grace period the thread's stored turns are read (thread/turns/list, every item) and the turn
 * reconciled with them: the items it never got are delivered, then it ends with the stored status
 * (`TurnSession.reconcile`); an end the server has not settled yet is read again. The idle status
 * can come before the turn/start response (it often shares a read with it): then it is remembered
 * for the thread, and the check starts once the turn is bound. The same later read serves a relink
 * or an adoption whose stored end was not settled (`recheck`).
 */
export class IdleRecovery {
  private readonly checks = new Map<string, Subscription>();
  private readonly idleWhileStarting = new Set<string>();

  constructor(private readonly deps: IdleRecoveryDeps) {}

  /** Scheduled checks (for leak checks). */
  get size(): number {
    return this.checks.size;
  }

  /** A `thread/status/changed` notification. */
  onThreadStatus(threadId: string, status: string): void {
    if (status !== 'idle') {
      this.idleWhileStarting.delete(threadId);
      return;
    }
    const session = this.deps.router.activeOnThread(threadId);
    if (session) this.arm(session);
    else if (this.deps.router.isExpecting(threadId)) this.idleWhileStarting.add(threadId);
  }

  /** The stored turn said the turn ended, but the server has not settled that end yet: read it again after the grace period. */
  recheck(session: TurnSession): void {
    if (!session.ended) this.arm(session);
  }

  /** A turn/start answered and its session is bound. */
  bound(session: TurnSession): void {
    if (this.idleWhileStarting.delete(session.threadId) && !session.ended) this.arm(session);
  }

  /** A turn/start failed: no idle status is waited for on its thread any more (unless another is in flight). */
  startFailed(threadId: string): void {
    if (!this.deps.router.isExpecting(threadId)) this.idleWhileStarting.delete(threadId);
  }

  dispose(): void {
    for (const check of this.checks.values()) check.unsubscribe();
    this.checks.clear();
    this.idleWhileStarting.clear();
  }

  private arm(session: TurnSession, reads = 0): void {
    const { turnId } = session;
    if (this.checks.has(turnId)) return;
    const check = this.deps.scheduler.schedule(() => {
      check.unsubscribe();
      if (session.ended || this.deps.router.get(turnId) !== session) return;
      this.deps
        .readTurns(session.threadId)
        .then((turns) => {
          const turn = turns.find((t) => t.id === turnId);
          if (!turn || session.ended || turn.status === 'inProgress') return;
          // An end not settled yet (see TurnSession.reconcile) is read again, a few times at most.
          const final = reads + 1 >= MAX_READS;
          if (session.reconcile(turn, final)) {
            this.arm(session, reads + 1);
            return;
          }
          this.deps.report({
            kind: 'protocol',
            message: `turn ${turnId}: thread went idle without turn/completed; ended from its stored turns (${turn.status})`,
          });
        })
        .catch(() => undefined);
    }, this.deps.graceMs);
    check.add(() => this.checks.delete(turnId));
    this.checks.set(turnId, check);
    // Let go with the session (its turn ended and was consumed, or the session was released).
    session.hold(check);
  }
}
