import type { JsonRpcMessage } from '../protocol/messages';
import { threadIdOf, turnIdOf } from '../protocol/items';
import type { StoredTurn } from './stored-turns';
import type { BufferBudget } from './buffer-budget';
import { HeldFrames } from './held-frames';
import { SessionLimits, TurnSession } from './turn-session';

/** A turn/start in flight on a thread: frames of the thread are held until its turn id is known. */
export interface TurnExpectation {
  readonly threadId: string;
}

/** What became of a frame given to `route`: taken by its turn, dropped (another thread's), or no turn's. */
export type RouteOutcome = 'routed' | 'dropped' | null;

/**
 * Routes turn frames to sessions by turn id: the fast path, one `Map` lookup per frame however
 * many turns run (the `forTurn` operator does the same job as a filter, for users' own pipelines;
 * a filter per turn would cost a test per frame per turn). While a `turn/start` is in flight on a
 * thread, that thread's frames of unknown turns are held, so that nothing the server sends before
 * the response is lost. A frame whose thread is not its turn's is dropped and reported: it must
 * neither feed nor end a turn of another thread.
 */
export class TurnRouter {
  private readonly byTurn = new Map<string, TurnSession>();
  private readonly waiting = new Map<string, HeldFrames>();
  /** Sessions by thread (usually one), for thread-level notifications such as status changes. */
  private readonly byThread = new Map<string, TurnSession[]>();

  constructor(
    private readonly budget: BufferBudget,
    /** A frame carrying a turn's id but another thread's id (dropped). */
    private readonly foreign: (frame: JsonRpcMessage, session: TurnSession) => void = () => undefined,
  ) {}

  /** Live sessions (for hygiene checks and close). */
  get size(): number {
    return this.byTurn.size;
  }

  get waitingThreads(): number {
    return this.waiting.size;
  }

  get(turnId: string): TurnSession | undefined {
    return this.byTurn.get(turnId);
  }

  /** The first live session of a thread (threads run one turn at a time). */
  activeOnThread(threadId: string): TurnSession | undefined {
    const list = this.byThread.get(threadId);
    return list?.find((s) => !s.ended);
  }

  /** True while a turn/start is in flight on the thread. */
  isExpecting(threadId: string): boolean {
    return this.waiting.has(threadId);
  }

  /** Call before writing turn/start. */
  expect(threadId: string): TurnExpectation {
    const w = this.waiting.get(threadId);
    if (w) w.count++;
    else this.waiting.set(threadId, new HeldFrames(this.budget));
    return { threadId };
  }

  /** The turn/start failed or was abandoned. */
  unexpect(expectation: TurnExpectation): void {
    const w = this.waiting.get(expectation.threadId);
    if (w && --w.count === 0) {
      w.clear();
      this.waiting.delete(expectation.threadId);
    }
  }

  /** The turn/start answered with `turnId`: creates its session and hands it the held frames. */
  bind(expectation: TurnExpectation, turnId: string, mode: 'once' | 'stream', limits: SessionLimits): TurnSession {
    const session = this.register(expectation, turnId, mode, limits);
    this.handOver(expectation, session);
    return session;
  }

  /**
   * The turn/start's answer was lost with a link, and the thread's stored turns show the turn it
   * made: creates its session, delivering in the server's order what came on the dropped link
   * (`early`), then the stored items it lacks (and the end, if the turn ended), then what came live
   * on the new link, each item once. `unsettled`: the stored end is not settled yet (see
   * `TurnSession.reconcile`), to be read again.
   */
  adopt(
    expectation: TurnExpectation,
    stored: StoredTurn & { readonly id: string },
    early: readonly JsonRpcMessage[],
    mode: 'once' | 'stream',
    limits: SessionLimits,
  ): { session: TurnSession; unsettled: boolean } {
    const session = this.register(expectation, stored.id, mode, limits);
    for (const f of early) if (turnIdOf(f) === stored.id) session.push(f);
    // It is in the stored turns: the server started it (its turn/started may have been lost).
    session.started = true;
    session.pause();
    this.handOver(expectation, session);
    const unsettled = session.reconcile(stored);
    session.unpause();
    return { session, unsettled };
  }

  /** Takes every frame held for the thread so far (those of a link that dropped), in order. */
  takeHeld(threadId: string): JsonRpcMessage[] {
    return this.waiting.get(threadId)?.takeAll() ?? [];
  }

  private register(expectation: TurnExpectation, turnId: string, mode: 'once' | 'stream', limits: SessionLimits): TurnSession {
    const session = new TurnSession(expectation.threadId, turnId, mode, limits, this.budget);
    this.byTurn.set(turnId, session);
    const list = this.byThread.get(session.threadId);
    if (list) list.push(session);
    else this.byThread.set(session.threadId, [session]);
    session.hold(() => this.remove(session));
    return session;
  }

  /** The frames held for the session's turn go to it; the expectation ends. */
  private handOver(expectation: TurnExpectation, session: TurnSession): void {
    const w = this.waiting.get(expectation.threadId);
    if (!w) return;
    const { frames, loss } = w.take(session.turnId);
    this.unexpect(expectation);
    session.lostWhileStarting(loss);
    for (const f of frames) session.push(f);
  }

  private remove(session: TurnSession): void {
    if (this.byTurn.get(session.turnId) !== session) return;
    this.byTurn.delete(session.turnId);
    const list = this.byThread.get(session.threadId);
    if (!list) return;
    if (list.length === 1 && list[0] === session) {
      this.byThread.delete(session.threadId);
      return;
    }
    const rest = list.filter((s) => s !== session);
    if (rest.length) this.byThread.set(session.threadId, rest);
    else this.byThread.delete(session.threadId);
  }

  /** Routes one frame of turn `turnId`. */
  route(frame: JsonRpcMessage, turnId: string | undefined): RouteOutcome {
    if (turnId === undefined) return null;
    const session = this.byTurn.get(turnId);
    if (session) {
      const threadId = threadIdOf(frame);
      if (threadId !== undefined && threadId !== session.threadId) {
        this.foreign(frame, session);
        return 'dropped';
      }
      session.push(frame);
      return 'routed';
    }
    // Not a turn of ours (yet): its thread is read only now, off the per-frame path.
    const threadId = threadIdOf(frame);
    if (threadId !== undefined) {
      const w = this.waiting.get(threadId);
      if (w) {
        w.hold(frame, turnId);
        return 'routed';
      }
    }
    return null;
  }

  /** Sessions whose turn has not ended. */
  liveSessions(): TurnSession[] {
    return [...this.byTurn.values()].filter((s) => !s.ended);
  }

  /** Fails and releases every session, keeping the turn/starts in flight (a server that was restarted). */
  failSessions(err: Error): void {
    for (const s of [...this.byTurn.values()]) {
      s.fail(err);
      s.release();
    }
  }

  /** Fails and releases every session (the connection ended). */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.clear();
    this.waiting.clear();
    this.failSessions(err);
  }
}
