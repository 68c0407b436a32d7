import type { SchedulerLike } from 'rxjs';
import type { RetryPolicy } from './streams/connection';
import type { StdioTransportOptions } from './streams/stdio';
import type { WebSocketTransportOptions } from './streams/websocket';

/** Options of a `CodexClient`. */
export interface ClientOptions {
  /** Default timeout of one request; `null` waits forever. Default 30,000 ms. */
  requestTimeoutMs?: number | null;
  /** A turn that sends nothing for this long errors with `CodexTurnInactiveError`; `null` = unbounded. Default 180,000 ms. */
  inactivityTimeoutMs?: number | null;
  /** Fail on protocol ambiguities (undecodable turn frames fail the turn) instead of reporting them. Default false. */
  strict?: boolean;
  /** Most events buffered for one turn while nobody listens (after an inactivity timeout). Default 100,000. */
  maxBufferedEvents?: number;
  /** Most timed-out turns kept for resuming; the oldest is dropped past it. Default 1,000. */
  maxSuspendedTurns?: number;
  /**
   * `auto` (default): approvals go to the handler, and are declined without one. `manual`: with no
   * handler, approvals wait (without a timeout) for `respondApproval`.
   */
  approvalMode?: 'auto' | 'manual';
  /** An approval or user-input handler that has not answered after this long: decline / error. Default 300,000 ms; `null` = no limit. */
  handlerTimeoutMs?: number | null;
  /** Retry of overloaded (-32001) read requests; `false` disables it. */
  retry?: RetryPolicy | false;
  /** After `thread/status/changed` to idle without `turn/completed`, wait this long, then read the thread and end the turn. Default 2,000 ms. */
  idleGraceMs?: number;
  /** `clientInfo` sent by `initialize`. Default: this package's name and version. */
  clientInfo?: { name: string; version: string; title?: string };
  /** Scheduler of timeouts (a `TestScheduler` in marble tests). */
  scheduler?: SchedulerLike;
}

export type StdioOptions = StdioTransportOptions & ClientOptions;
export type WebSocketOptions = WebSocketTransportOptions & ClientOptions;
