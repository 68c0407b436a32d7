/** Threads and turns: the `Thread`/`Turn` objects and the notifications of a turn's life and of its thread. */
import { PROTOCOL_SERVER_VERSION } from '../../protocol/methods';
import { frameNow } from './clock';
import { notification, type NotificationFrame } from './envelopes';
import type { ErrorNotification } from '../../protocol/generated/v2/ErrorNotification';
import type { Thread } from '../../protocol/generated/v2/Thread';
import type { ThreadItem } from '../../protocol/generated/v2/ThreadItem';
import type { ThreadStartedNotification } from '../../protocol/generated/v2/ThreadStartedNotification';
import type { ThreadStatus } from '../../protocol/generated/v2/ThreadStatus';
import type { ThreadStatusChangedNotification } from '../../protocol/generated/v2/ThreadStatusChangedNotification';
import type { ThreadTokenUsageUpdatedNotification } from '../../protocol/generated/v2/ThreadTokenUsageUpdatedNotification';
import type { TokenUsageBreakdown } from '../../protocol/generated/v2/TokenUsageBreakdown';
import type { Turn } from '../../protocol/generated/v2/Turn';
import type { TurnCompletedNotification } from '../../protocol/generated/v2/TurnCompletedNotification';
import type { TurnDiffUpdatedNotification } from '../../protocol/generated/v2/TurnDiffUpdatedNotification';
import type { TurnError } from '../../protocol/generated/v2/TurnError';
import type { TurnPlanStep } from '../../protocol/generated/v2/TurnPlanStep';
import type { TurnPlanUpdatedNotification } from '../../protocol/generated/v2/TurnPlanUpdatedNotification';
import type { TurnStartedNotification } from '../../protocol/generated/v2/TurnStartedNotification';

/** A full `Thread` object with plausible defaults (idle, ephemeral false, empty turns). */
export function threadObject(threadId: string, overrides: Partial<Thread> = {}): Thread {
  const seconds = Math.floor(frameNow() / 1000);
  return {
    id: threadId,
    sessionId: threadId,
    forkedFromId: null,
    parentThreadId: null,
    preview: '',
    ephemeral: false,
    section: null,
    sectionEnteredAt: null,
    projectId: null,
    historyMode: 'legacy',
    modelProvider: 'mock',
    model: 'mock-model',
    reasoningEffort: null,
    createdAt: seconds,
    updatedAt: seconds,
    recencyAt: seconds,
    status: { type: 'idle' },
    path: null,
    cwd: '/tmp',
    cliVersion: PROTOCOL_SERVER_VERSION,
    originator: null,
    source: 'appServer',
    threadSource: null,
    agentNickname: null,
    agentRole: null,
    gitInfo: null,
    name: null,
    turns: [],
    ...overrides,
  };
}

/** A full `Turn` object; `status` defaults to `inProgress`, `error` to null. */
export function turnObject(turnId: string, overrides: Partial<Turn> = {}): Turn {
  return {
    id: turnId,
    rootTurnId: turnId,
    items: [],
    itemsView: 'notLoaded',
    status: 'inProgress',
    error: null,
    startedAt: Math.floor(frameNow() / 1000),
    completedAt: null,
    durationMs: null,
    ...overrides,
  };
}

/** A `TurnError` from a message (codexErrorInfo and details null unless given). */
export function turnError(message: string, extra: Partial<TurnError> = {}): TurnError {
  return { message, codexErrorInfo: null, additionalDetails: null, misalignment: null, ...extra };
}

/** `thread/started {thread}`. */
export function threadStarted(args: {
  threadId: string;
  thread?: Partial<Thread>;
}): NotificationFrame<ThreadStartedNotification, 'thread/started'> {
  return notification('thread/started', { thread: threadObject(args.threadId, args.thread) });
}

/** `turn/started {threadId, turn}` with the turn `inProgress`. */
export function turnStarted(args: {
  threadId: string;
  turnId: string;
  turn?: Partial<Turn>;
}): NotificationFrame<TurnStartedNotification, 'turn/started'> {
  return notification('turn/started', { threadId: args.threadId, turn: turnObject(args.turnId, args.turn) });
}

/**
 * `turn/completed {threadId, turn}`. `status` defaults to `completed`; `error` (a message or a
 * `TurnError`) defaults to null, except for `failed`, which gets the message `turn failed`.
 */
export function turnCompleted(args: {
  threadId: string;
  turnId: string;
  status?: 'completed' | 'failed' | 'interrupted';
  error?: string | TurnError | null;
  items?: ThreadItem[];
  turn?: Partial<Turn>;
}): NotificationFrame<TurnCompletedNotification, 'turn/completed'> {
  const status = args.status ?? 'completed';
  const given = args.error === undefined ? (status === 'failed' ? 'turn failed' : null) : args.error;
  const error = typeof given === 'string' ? turnError(given) : given;
  const completedAt = Math.floor(frameNow() / 1000);
  return notification('turn/completed', {
    threadId: args.threadId,
    turn: turnObject(args.turnId, {
      status,
      error,
      items: args.items ?? [],
      completedAt,
      durationMs: 0,
      ...args.turn,
    }),
  });
}

/** `thread/status/changed {threadId, status}`; `active` carries `activeFlags` (default none). */
export function threadStatusChanged(args: {
  threadId: string;
  status: 'idle' | 'active' | 'notLoaded' | 'systemError';
  activeFlags?: Array<'waitingOnApproval' | 'waitingOnUserInput'>;
}): NotificationFrame<ThreadStatusChangedNotification, 'thread/status/changed'> {
  const status: ThreadStatus = args.status === 'active' ? { type: 'active', activeFlags: args.activeFlags ?? [] } : { type: args.status };
  return notification('thread/status/changed', { threadId: args.threadId, status });
}

/** `thread/tokenUsage/updated {threadId, turnId, tokenUsage:{total, last, modelContextWindow}}`. */
export function tokenUsageUpdated(args: {
  threadId: string;
  turnId: string;
  total?: Partial<TokenUsageBreakdown>;
  last?: Partial<TokenUsageBreakdown>;
  modelContextWindow?: number | null;
}): NotificationFrame<ThreadTokenUsageUpdatedNotification, 'thread/tokenUsage/updated'> {
  const usage = (u: Partial<TokenUsageBreakdown> = {}): TokenUsageBreakdown => ({
    totalTokens: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    outputTokens: 0,
    reasoningOutputTokens: 0,
    ...u,
  });
  return notification('thread/tokenUsage/updated', {
    threadId: args.threadId,
    turnId: args.turnId,
    tokenUsage: {
      total: usage(args.total),
      last: usage(args.last ?? args.total),
      modelContextWindow: args.modelContextWindow === undefined ? 272_000 : args.modelContextWindow,
    },
  });
}

/** `turn/plan/updated {threadId, turnId, explanation, plan:[{step, status}]}`. */
export function turnPlanUpdated(args: {
  threadId: string;
  turnId: string;
  plan: TurnPlanStep[];
  explanation?: string | null;
}): NotificationFrame<TurnPlanUpdatedNotification, 'turn/plan/updated'> {
  return notification('turn/plan/updated', {
    threadId: args.threadId,
    turnId: args.turnId,
    explanation: args.explanation ?? null,
    plan: args.plan,
  });
}

/** `turn/diff/updated {threadId, turnId, diff}`: the turn's aggregated unified diff so far. */
export function turnDiffUpdated(args: {
  threadId: string;
  turnId: string;
  diff: string;
}): NotificationFrame<TurnDiffUpdatedNotification, 'turn/diff/updated'> {
  return notification('turn/diff/updated', { threadId: args.threadId, turnId: args.turnId, diff: args.diff });
}

/** `error {error, willRetry, threadId, turnId}` (sent before a failed `turn/completed`). */
export function errorNotification(args: {
  threadId: string;
  turnId: string;
  message: string;
  willRetry?: boolean;
  codexErrorInfo?: TurnError['codexErrorInfo'];
}): NotificationFrame<ErrorNotification, 'error'> {
  return notification('error', {
    error: turnError(args.message, { codexErrorInfo: args.codexErrorInfo ?? null }),
    willRetry: args.willRetry ?? false,
    threadId: args.threadId,
    turnId: args.turnId,
  });
}
