import type { EngineStats } from '../../src/engine/engine';

/** A client's `stats` when nothing is left: no turn, request, approval, check, busy thread or buffered byte. */
export const ZERO_STATS: EngineStats = {
  turns: 0,
  waitingThreads: 0,
  busyThreads: 0,
  pendingRequests: 0,
  pendingApprovals: 0,
  idleChecks: 0,
  bufferedBytes: 0,
};
