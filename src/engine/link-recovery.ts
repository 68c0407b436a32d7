import { Observable, ReplaySubject, Subscription } from 'rxjs';
import type { JsonRpcConnection } from '../streams/connection';
import type { LinkEvent } from '../streams/transport';
import type { Handshake } from './handshake';
import type { IdleRecovery } from './idle-recovery';
import type { Interrupts } from './interrupts';
import { CALL, type EngineRequests } from './requests';
import type { ServerRequestDesk } from './server-requests';
import { findStoredTurn } from './stored-turns';
import type { ThreadRegistry } from './thread-registry';
import type { TurnRouter } from './turn-router';

/**
 * Where the client's connection is: `connecting` until the first handshake, `connected`,
 * `reconnecting` from a dropped link until the new one is initialized and its turns resumed (or,
 * for a stdio server that died, until the next use restarts it), `closed` at the end.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The engine's parts a dropped link touches. */
export interface LinkRecoveryParts {
  readonly connection: JsonRpcConnection;
  readonly requests: EngineRequests;
  readonly handshake: Handshake;
  readonly router: TurnRouter;
  readonly threads: ThreadRegistry;
  readonly desk: ServerRequestDesk;
  readonly interrupts: Interrupts;
  readonly recovery: IdleRecovery;
}

/**
 * What the engine does when the transport's link drops and comes back. A drop: the handshake is
 * due again, pending approvals and known threads belonged to the old link; a server that is gone
 * (a restarted process) takes its running turns with it, they fail with the drop's error. A new
 * link: the handshake, then each thread with a running turn is resumed (`thread/resume`) and its
 * turns reconciled from what the server stored (items completed while the link was down are
 * delivered once, in order; a turn that ended meanwhile ends), and the end of turns nobody follows
 * that hold their thread is looked up, all before the requests that waited go out.
 */
export class LinkRecovery {
  /** Hot; replays the current state, also after the end (a ReplaySubject, unlike a BehaviorSubject, keeps it then). */
  readonly state$: Observable<ConnectionState>;
  private readonly state = new ReplaySubject<ConnectionState>(1);
  private current: ConnectionState = 'connecting';

  constructor(private readonly parts: LinkRecoveryParts) {
    const { connection, handshake } = parts;
    this.state$ = this.state.asObservable();
    this.state.next(this.current);
    const registrations = new Subscription();
    registrations.add(
      handshake.afterInitialized(() => {
        if (this.current === 'connecting') this.enter('connected');
      }),
    );
    registrations.add(connection.onLink((event) => this.onLink(event)));
    registrations.add(connection.beforeRelease(() => this.relinked()));
    connection.onClose((err) => {
      registrations.unsubscribe();
      handshake.fail(err);
      this.enter('closed');
      this.state.complete();
    });
  }

  private onLink(event: LinkEvent): void {
    if (event.type !== 'down') return;
    const { handshake, desk, threads, router } = this.parts;
    this.enter('reconnecting');
    handshake.reset();
    desk.dropAll();
    threads.clear();
    if (!event.resumable) {
      router.failSessions(event.error);
      // Turns waited on to end (an abort's interrupt) ended with the server.
      this.parts.interrupts.clear();
    }
    // Someone waits for the handshake: a link made on demand (stdio restart) is due now.
    if (handshake.awaited) this.parts.connection.ensureLink();
  }

  /**
   * A new link. Should it drop before this is done, everything stays as the drop left it (the
   * sessions paused, the requests held, the state `reconnecting`) for the next link's relink: a
   * turn is failed only when the server refuses to resume its thread.
   */
  private async relinked(): Promise<void> {
    const { connection, requests, handshake, router, threads } = this.parts;
    const link = connection.link;
    const gone = () => connection.link !== link;
    await handshake.redo();
    const live = router.liveSessions();
    const requestNow = requests.bind(CALL.relink);
    for (const threadId of new Set(live.map((s) => s.threadId))) {
      if (gone()) return;
      const sessions = live.filter((s) => s.threadId === threadId);
      for (const s of sessions) s.pause();
      let stored: Array<Awaited<ReturnType<typeof findStoredTurn>>>;
      try {
        await requestNow('thread/resume', { threadId });
        stored = [];
        for (const s of sessions) stored.push(await findStoredTurn(requestNow, threadId, s.turnId, 'full'));
      } catch (err) {
        // Lost with the link, not refused: the next link resumes the thread.
        if (gone()) throw err;
        // Refused: this thread's turns fail; the others go on.
        for (const s of sessions) {
          s.fail(err instanceof Error ? err : new Error(String(err)));
          s.unpause();
        }
        continue;
      }
      if (gone()) return;
      threads.add(threadId);
      sessions.forEach((s, i) => {
        // An end the server has not settled yet is read again later.
        if (s.reconcile(stored[i]!)) this.parts.recovery.recheck(s);
        s.unpause();
      });
    }
    if (gone()) return;
    await this.awaitedTurnsEnded(requestNow, gone);
    if (!gone()) this.enter('connected');
  }

  /**
   * Turns nobody follows any more whose end holds their thread (abandoned, or interrupted): their
   * `turn/completed` may have been lost with the link. Each is looked up in its thread's stored
   * turns (the thread resumed on the new link, so that a turn still running is heard to end).
   */
  private async awaitedTurnsEnded(request: (method: string, params: unknown) => Promise<unknown>, gone: () => boolean): Promise<void> {
    const { threads, interrupts } = this.parts;
    for (const { threadId, turnId } of interrupts.awaitedTurns()) {
      try {
        if (!threads.has(threadId)) {
          await request('thread/resume', { threadId });
          threads.add(threadId);
        }
        const stored = await findStoredTurn(request, threadId, turnId);
        if (stored?.status !== 'inProgress') interrupts.onEnded(turnId);
      } catch (err) {
        if (gone()) throw err;
        // Refused: nothing will tell when it ends; the thread is not held for it any longer.
        interrupts.onEnded(turnId);
      }
    }
  }

  private enter(state: ConnectionState): void {
    if (state === this.current || this.current === 'closed') return;
    this.current = state;
    this.state.next(state);
  }
}
