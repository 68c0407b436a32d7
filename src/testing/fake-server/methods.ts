/** What the fake server does for each client request method it knows (besides `initialize`). */
import type { JsonRpcId } from '../../protocol/messages';
import { notification, threadStarted, turnObject } from '../frames';
import type { StoredThread, ThreadStore } from './thread-store';
import type { FakeTurn } from './turn';
import { FakeRpcError, type RoutineFrames } from './types';

/** @internal One request being handled: where a built-in method finds the server's state and answers. */
export interface MethodCall {
  readonly id: JsonRpcId;
  readonly store: ThreadStore;
  readonly routine: RoutineFrames;
  /** Answers the request (once). */
  respond(result: unknown): void;
  /** Sends a notification (after the answer when called after `respond`). */
  notify(frame: object): void;
  /** The running turn of a thread. */
  activeTurn(threadId: string): FakeTurn | undefined;
  /** Starts a turn on the thread and runs its script; the turn answers the request itself. */
  startTurn(thread: StoredThread, params: Record<string, unknown>): void;
}

type Params = Record<string, any>;
type BuiltIn = (params: Params, call: MethodCall) => void;

const started = (call: MethodCall, thread: StoredThread) => {
  if (call.routine.threadStarted) call.notify(threadStarted({ threadId: thread.id, thread: call.store.toThread(thread, false) }));
};

const noActiveTurn = (what: string) => new FakeRpcError(-32600, `no active turn to ${what}`);

/** @internal The built-in methods. Every one throws `FakeRpcError` for a request it refuses. */
export const BUILT_IN_METHODS: Readonly<Record<string, BuiltIn>> = {
  'thread/start': (p, call) => {
    const thread = call.store.create();
    call.store.configure(thread, p);
    call.respond(call.store.sessionResponse(thread, false));
    started(call, thread);
  },

  'thread/resume': (p, call) => {
    const thread = call.store.require(p.threadId);
    thread.loaded = true;
    call.store.configure(thread, p);
    call.respond({
      ...call.store.sessionResponse(thread, p.excludeTurns !== true),
      collaborationMode: null,
      turnsBackwardsCursor: null,
      itemsBackwardsCursor: null,
    });
  },

  'thread/fork': (p, call) => {
    const thread = call.store.fork(call.store.require(p.threadId), p, p.lastTurnId);
    call.respond(call.store.sessionResponse(thread, p.excludeTurns !== true));
    started(call, thread);
  },

  'thread/read': (p, call) => {
    call.respond({ thread: call.store.toThread(call.store.require(p.threadId), p.includeTurns === true) });
    // Like the real server (0.171.0): full-history reads are deprecated in favour of thread/turns/list.
    if (p.includeTurns === true) {
      call.notify(
        notification('deprecationNotice', {
          summary:
            'Full-history hydration is deprecated for paginated threads; omit `includeTurns` or set it to `false`, ' +
            'then page with `thread/turns/list` and `thread/items/list`.',
          details: null,
        }),
      );
    }
  },

  'thread/list': (p, call) => call.respond(call.store.list(p)),

  'thread/turns/list': (p, call) => call.respond(call.store.turnsPage(call.store.require(p.threadId), p as never)),

  'thread/revert': (p, call) => {
    const thread = call.store.require(p.threadId);
    call.store.revert(thread, p.beforeTurnId);
    call.respond({ thread: call.store.toThread(thread, false), turnsBackwardsCursor: null, itemsBackwardsCursor: null });
  },

  'thread/archive': (p, call) => {
    call.store.require(p.threadId).archived = true;
    call.respond({});
  },

  'thread/unarchive': (p, call) => {
    call.store.require(p.threadId).archived = false;
    call.respond({});
  },

  'thread/name/set': (p, call) => {
    call.store.require(p.threadId).name = typeof p.name === 'string' ? p.name : null;
    call.respond({});
  },

  'turn/start': (p, call) => {
    const thread = call.store.require(p.threadId);
    const running = call.activeTurn(thread.id);
    if (running) {
      // Like the real server: a turn/start on a busy thread joins the running turn.
      running.steer(Array.isArray(p.input) ? p.input : []);
      call.respond({ turn: turnObject(running.turnId) });
    } else {
      // cwd, model and approval policy given here apply to this turn and the thread's next ones
      call.store.configure(thread, { cwd: p.cwd, model: p.model, approvalPolicy: p.approvalPolicy });
      call.startTurn(thread, p);
    }
  },

  'turn/interrupt': (p, call) => {
    call.store.require(p.threadId);
    const turn = call.activeTurn(p.threadId);
    // Before turn/started the real server has no active turn either.
    if (!turn?.active || turn.turnId !== p.turnId) throw noActiveTurn('interrupt');
    call.respond({});
    turn.interrupt();
  },

  'turn/steer': (p, call) => {
    call.store.require(p.threadId);
    const turn = call.activeTurn(p.threadId);
    if (!turn?.active) throw noActiveTurn('steer');
    if (turn.turnId !== p.expectedTurnId) {
      throw new FakeRpcError(-32600, `expected turn ${String(p.expectedTurnId)} is not the active turn ${turn.turnId}`);
    }
    call.respond({ turnId: turn.turnId });
    turn.steer(Array.isArray(p.input) ? p.input : []);
  },
};
