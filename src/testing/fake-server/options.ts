import type { SchedulerLike } from 'rxjs';
import type { TurnScript } from './turn';
import type { RoutineFrames } from './types';

/** Options of a `FakeAppServer`. */
export interface FakeAppServerOptions {
  /** The script of every turn that has no script of its own (`onNextTurn`). Default: `echoScript` (`Echo: <text>`). */
  script?: TurnScript;
  /**
   * The frames the real server sends around a turn by itself (`true`, the default: all of them).
   * `false`, or single ones turned off, for specs that assert exact frame sequences.
   */
  routineFrames?: boolean | Partial<RoutineFrames>;
  /**
   * When frames reach the client: `'microtask'` (default, like a real peer: never inside the
   * client's `send()`) or `'sync'` (inside it, re-entrantly).
   */
  delivery?: 'microtask' | 'sync';
  /**
   * Clock of `turn.wait()` and of handlers' `wait()`, and the default `scheduler` of
   * `server.client()`. A `VirtualTimeScheduler` (stepped with `advanceVirtualTime`) makes scripted
   * delays virtual. Default: `asyncScheduler` (real time).
   */
  scheduler?: SchedulerLike;
  /** The server version inside `initialize`'s `userAgent`. Default: the pinned protocol version (`PROTOCOL_SERVER_VERSION`). */
  serverVersion?: string;
  /** `codexHome` of the `initialize` answer. Default `/tmp/codex-home`. */
  codexHome?: string;
  /** Id of the n-th thread (from 1). Default `thr-<n>`. */
  threadId?: (n: number) => string;
  /** Id of the n-th turn (from 1, across threads). Default `turn-<n>`. */
  turnId?: (n: number, threadId: string) => string;
  /** Id of the n-th item the helpers make (from 1). Default `item-<n>`. */
  itemId?: (n: number) => string;
}
