import type { ApprovalRequest } from '../models';
import type { ThreadItem } from '../protocol/generated/v2/ThreadItem';
import type { ThreadStatus } from '../protocol/generated/v2/ThreadStatus';
import type { ThreadTokenUsage } from '../protocol/generated/v2/ThreadTokenUsage';
import type { TurnError } from '../protocol/generated/v2/TurnError';
import type { TurnPlanStep } from '../protocol/generated/v2/TurnPlanStep';
import type { TurnStatus } from '../protocol/generated/v2/TurnStatus';

/** A turn's latest plan (`turn/plan/updated`). */
export interface TurnPlanView {
  /** The agent's note on why the plan is what it is, when it gave one. */
  readonly explanation: string | null;
  /** The steps, each with its status (`pending`, `inProgress`, `completed`). */
  readonly plan: readonly TurnPlanStep[];
}

/**
 * One turn as a UI shows it. Immutable: a change makes a new `TurnView` (and a new `ThreadView`),
 * while what did not change keeps its object, so memoised and `OnPush` views re-render only that.
 */
export interface TurnView {
  /** The server's turn id. */
  readonly id: string;
  /** `inProgress` until the turn ends (`completed`, `interrupted`, `failed`). */
  readonly status: TurnStatus;
  /** Why it failed: the turn's error, or a non-retried `error` notification. */
  readonly error: TurnError | null;
  /**
   * Its items in the order they started: an agent message's `text` (a reasoning's summary and
   * content, a command's `aggregatedOutput`) grows with its deltas, then the completed item replaces it.
   */
  readonly items: readonly ThreadItem[];
  /** Token usage after the turn's last model call. */
  readonly usage: ThreadTokenUsage | null;
  /** The agent's latest plan for the turn, null until it made one. */
  readonly plan: TurnPlanView | null;
  /** The turn's aggregated unified diff. */
  readonly diff: string | null;
}

/** A thread as a UI shows it: `thread.view$` / `client.threadView$(threadId)`. Immutable, like `TurnView`. */
export interface ThreadView {
  /** The thread this view is of. */
  readonly threadId: string;
  /** `idle`, `active` (with flags), ...: null until the server said. */
  readonly status: ThreadStatus | null;
  /** Oldest first: the stored turns, then the live ones. */
  readonly turns: readonly TurnView[];
  /** Approval requests of this thread's turns not answered or dropped yet. */
  readonly pendingApprovals: readonly ApprovalRequest[];
  /** The latest token usage of the thread. */
  readonly usage: ThreadTokenUsage | null;
}

/** The view of a thread nothing is known about yet. */
export function emptyThreadView(threadId: string): ThreadView {
  return { threadId, status: null, turns: [], pendingApprovals: [], usage: null };
}
