/**
 * Builders of inbound JSON-RPC frames shaped like the real `codex app-server`'s (v2 protocol):
 * no `"jsonrpc"` key, an `emittedAtMs` on every notification, the full field set of each payload.
 * Feed them to an `InMemoryTransport` or use them as marble values.
 *
 * Timestamps come from the frame clock, a constant by default so that frames built at different
 * moments compare equal in `toEqual`/marble assertions; `setFrameClock(Date.now)` (or a test
 * scheduler's `now`) makes them live.
 */
import type { JsonRpcId } from '../protocol/messages';
import type { AgentMessageDeltaNotification } from '../protocol/generated/v2/AgentMessageDeltaNotification';
import type { CommandExecutionOutputDeltaNotification } from '../protocol/generated/v2/CommandExecutionOutputDeltaNotification';
import type { CommandExecutionRequestApprovalParams } from '../protocol/generated/v2/CommandExecutionRequestApprovalParams';
import type { ErrorNotification } from '../protocol/generated/v2/ErrorNotification';
import type { FileChangeRequestApprovalParams } from '../protocol/generated/v2/FileChangeRequestApprovalParams';
import type { FileUpdateChange } from '../protocol/generated/v2/FileUpdateChange';
import type { ItemCompletedNotification } from '../protocol/generated/v2/ItemCompletedNotification';
import type { ItemStartedNotification } from '../protocol/generated/v2/ItemStartedNotification';
import type { PatchChangeKind } from '../protocol/generated/v2/PatchChangeKind';
import type { ReasoningSummaryTextDeltaNotification } from '../protocol/generated/v2/ReasoningSummaryTextDeltaNotification';
import type { ReasoningTextDeltaNotification } from '../protocol/generated/v2/ReasoningTextDeltaNotification';
import type { ServerRequestResolvedNotification } from '../protocol/generated/v2/ServerRequestResolvedNotification';
import type { Thread } from '../protocol/generated/v2/Thread';
import type { ThreadItem } from '../protocol/generated/v2/ThreadItem';
import type { ThreadStartedNotification } from '../protocol/generated/v2/ThreadStartedNotification';
import type { ThreadStatus } from '../protocol/generated/v2/ThreadStatus';
import type { ThreadStatusChangedNotification } from '../protocol/generated/v2/ThreadStatusChangedNotification';
import type { ThreadTokenUsageUpdatedNotification } from '../protocol/generated/v2/ThreadTokenUsageUpdatedNotification';
import type { TokenUsageBreakdown } from '../protocol/generated/v2/TokenUsageBreakdown';
import type { ToolRequestUserInputParams } from '../protocol/generated/v2/ToolRequestUserInputParams';
import type { ToolRequestUserInputQuestion } from '../protocol/generated/v2/ToolRequestUserInputQuestion';
import type { Turn } from '../protocol/generated/v2/Turn';
import type { TurnCompletedNotification } from '../protocol/generated/v2/TurnCompletedNotification';
import type { TurnError } from '../protocol/generated/v2/TurnError';
import type { TurnStartedNotification } from '../protocol/generated/v2/TurnStartedNotification';

// ---- frame shapes ------------------------------------------------------------------------------

/** A server notification as sent on the wire. */
export interface NotificationFrame<P = unknown, M extends string = string> {
  method: M;
  params: P;
  /** Server-side emission time (not in the schema; the real server always sends it). */
  emittedAtMs: number;
}

/** A server → client request as sent on the wire. */
export interface ServerRequestFrame<P = unknown, M extends string = string> {
  id: JsonRpcId;
  method: M;
  params: P;
}

/** A successful response to a client request. */
export interface ResponseFrame<R = unknown> {
  id: JsonRpcId;
  result: R;
}

/** A JSON-RPC error response. */
export interface ErrorResponseFrame {
  id: JsonRpcId | null;
  error: { code: number; message: string; data?: unknown };
}

type ItemOf<T extends string> = Extract<ThreadItem, { type: T }>;
export type AgentMessageItem = ItemOf<'agentMessage'>;
export type ReasoningItem = ItemOf<'reasoning'>;
export type CommandExecutionItem = ItemOf<'commandExecution'>;
export type FileChangeItem = ItemOf<'fileChange'>;
export type UserMessageItem = ItemOf<'userMessage'>;

// ---- clock ---------------------------------------------------------------------------------------

/** The default frame time: 2025-01-01T00:00:00Z. */
export const DEFAULT_FRAME_TIME_MS = 1_735_689_600_000;

let clock: () => number = () => DEFAULT_FRAME_TIME_MS;

/** Sets the clock of `emittedAtMs`/`startedAtMs`/`completedAtMs`; `null` restores the constant default. */
export function setFrameClock(now: (() => number) | null): void {
  clock = now ?? (() => DEFAULT_FRAME_TIME_MS);
}

const nowMs = () => clock();

// ---- envelopes -----------------------------------------------------------------------------------

/** A successful response `{id, result}` to the client's request `id`. */
export function response<R>(id: JsonRpcId, result: R): ResponseFrame<R> {
  return { id, result };
}

/** An error response `{id, error:{code, message, data?}}`; `data` is omitted when not given. */
export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): ErrorResponseFrame {
  return { id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** Any server notification `{method, params, emittedAtMs}`. */
export function notification<P, M extends string = string>(method: M, params: P): NotificationFrame<P, M> {
  return { method, params, emittedAtMs: nowMs() };
}

/** Any server → client request `{id, method, params}` (the real server's ids start at 0). */
export function serverRequest<P, M extends string = string>(id: JsonRpcId, method: M, params: P): ServerRequestFrame<P, M> {
  return { id, method, params };
}

// ---- threads and turns ---------------------------------------------------------------------------

/** A full `Thread` object with plausible defaults (idle, ephemeral false, empty turns). */
export function threadObject(threadId: string, overrides: Partial<Thread> = {}): Thread {
  const seconds = Math.floor(nowMs() / 1000);
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
    cliVersion: '0.169.0',
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
    startedAt: Math.floor(nowMs() / 1000),
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
  const completedAt = Math.floor(nowMs() / 1000);
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

/** `serverRequest/resolved {threadId, requestId}` (after an answer, or when the server drops the request). */
export function serverRequestResolved(args: {
  threadId: string;
  requestId: string | number;
}): NotificationFrame<ServerRequestResolvedNotification, 'serverRequest/resolved'> {
  return notification('serverRequest/resolved', { threadId: args.threadId, requestId: args.requestId });
}

// ---- items ------------------------------------------------------------------------------------

/** `item/started {item, threadId, turnId, startedAtMs}`. */
export function itemStarted(args: {
  threadId: string;
  turnId: string;
  item: ThreadItem;
}): NotificationFrame<ItemStartedNotification, 'item/started'> {
  return notification('item/started', {
    item: args.item,
    threadId: args.threadId,
    turnId: args.turnId,
    startedAtMs: nowMs(),
  });
}

/** `item/completed {item, threadId, turnId, completedAtMs}`. */
export function itemCompleted(args: {
  threadId: string;
  turnId: string;
  item: ThreadItem;
}): NotificationFrame<ItemCompletedNotification, 'item/completed'> {
  return notification('item/completed', {
    item: args.item,
    threadId: args.threadId,
    turnId: args.turnId,
    completedAtMs: nowMs(),
  });
}

/** An `agentMessage` item (`phase` null unless given). */
export function agentMessageItem(id: string, text: string, extra: Partial<AgentMessageItem> = {}): AgentMessageItem {
  return {
    type: 'agentMessage',
    id,
    text,
    phase: null,
    moderation: null,
    memoryCitation: null,
    delivery: null,
    questions: null,
    ...extra,
  };
}

/** A `reasoning` item with its summary parts and (raw) content parts. */
export function reasoningItem(id: string, summary: string[], content: string[] = []): ReasoningItem {
  return { type: 'reasoning', id, summary, content };
}

/** A `commandExecution` item, `completed` with exit code 0 and empty output unless `extra` says otherwise. */
export function commandExecutionItem(id: string, command: string, extra: Partial<CommandExecutionItem> = {}): CommandExecutionItem {
  return {
    type: 'commandExecution',
    id,
    command,
    cwd: '/tmp',
    pluginId: null,
    scriptPath: null,
    processId: null,
    source: 'agent',
    status: 'completed',
    commandActions: [{ type: 'unknown', command }],
    aggregatedOutput: '',
    exitCode: 0,
    durationMs: 0,
    ...extra,
  };
}

/** A change of a `fileChange` item: `kind` as a word or the wire object; `diff` defaults to ''. */
export interface FileChangeSpec {
  path: string;
  kind?: 'add' | 'delete' | 'update' | PatchChangeKind;
  diff?: string;
}

/** A `fileChange` item (`completed` unless `extra.status` says otherwise). */
export function fileChangeItem(
  id: string,
  changes: Array<FileChangeSpec | FileUpdateChange>,
  extra: Partial<FileChangeItem> = {},
): FileChangeItem {
  const wire = changes.map((c): FileUpdateChange => {
    const kind = c.kind ?? 'update';
    return {
      path: c.path,
      kind: typeof kind === 'string' ? (kind === 'update' ? { type: 'update', move_path: null } : { type: kind }) : kind,
      diff: c.diff ?? '',
    };
  });
  return { type: 'fileChange', id, changes: wire, status: 'completed', ...extra };
}

/** A `userMessage` item holding one text input. */
export function userMessageItem(id: string, text: string): UserMessageItem {
  return { type: 'userMessage', id, clientId: null, content: [{ type: 'text', text, text_elements: [] }] };
}

/** Any other item type (`mcpToolCall`, `webSearch`, `plan`, ...), as `{type, id, ...fields}`. */
export function genericItem(type: string, id: string, fields: Record<string, unknown> = {}): ThreadItem {
  return { type, id, ...fields } as unknown as ThreadItem;
}

// ---- deltas ------------------------------------------------------------------------------------

interface DeltaArgs {
  threadId: string;
  turnId: string;
  itemId: string;
  delta: string;
}

/** `item/agentMessage/delta {threadId, turnId, itemId, delta}`. */
export function agentDelta(args: DeltaArgs): NotificationFrame<AgentMessageDeltaNotification, 'item/agentMessage/delta'> {
  return notification('item/agentMessage/delta', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    delta: args.delta,
  });
}

/** `item/reasoning/summaryTextDelta {threadId, turnId, itemId, delta, summaryIndex}` (index default 0). */
export function reasoningDelta(
  args: DeltaArgs & { summaryIndex?: number },
): NotificationFrame<ReasoningSummaryTextDeltaNotification, 'item/reasoning/summaryTextDelta'> {
  return notification('item/reasoning/summaryTextDelta', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    delta: args.delta,
    summaryIndex: args.summaryIndex ?? 0,
  });
}

/** `item/reasoning/textDelta {threadId, turnId, itemId, delta, contentIndex}` (raw reasoning; index default 0). */
export function reasoningTextDelta(
  args: DeltaArgs & { contentIndex?: number },
): NotificationFrame<ReasoningTextDeltaNotification, 'item/reasoning/textDelta'> {
  return notification('item/reasoning/textDelta', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    delta: args.delta,
    contentIndex: args.contentIndex ?? 0,
  });
}

/** `item/commandExecution/outputDelta {threadId, turnId, itemId, delta}`. */
export function commandOutputDelta(
  args: DeltaArgs,
): NotificationFrame<CommandExecutionOutputDeltaNotification, 'item/commandExecution/outputDelta'> {
  return notification('item/commandExecution/outputDelta', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    delta: args.delta,
  });
}

// ---- server requests ---------------------------------------------------------------------------

/** Wire params of a command approval: the schema's fields plus `availableDecisions`, which the server sends. */
export type CommandApprovalParams = CommandExecutionRequestApprovalParams & { availableDecisions?: unknown[] | null };

/**
 * `item/commandExecution/requestApproval` (a server request, id `id`) with `kind:'command'`.
 * `reason`, `command`, `cwd`, `commandActions` and `proposedExecpolicyAmendment` default to null;
 * `availableDecisions` is sent only when given.
 */
export function approvalRequest(args: {
  id: JsonRpcId;
  threadId: string;
  turnId: string;
  itemId: string;
  command?: string | null;
  cwd?: string | null;
  reason?: string | null;
  commandActions?: CommandExecutionRequestApprovalParams['commandActions'];
  proposedExecpolicyAmendment?: string[] | null;
  availableDecisions?: unknown[] | null;
  approvalId?: string | null;
}): ServerRequestFrame<CommandApprovalParams, 'item/commandExecution/requestApproval'> {
  const params: CommandApprovalParams = {
    kind: 'command',
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    startedAtMs: nowMs(),
    approvalId: args.approvalId ?? null,
    environmentId: null,
    reason: args.reason ?? null,
    command: args.command ?? null,
    cwd: args.cwd ?? null,
    commandActions: args.commandActions ?? null,
    proposedExecpolicyAmendment: args.proposedExecpolicyAmendment ?? null,
  };
  if (args.availableDecisions !== undefined) params.availableDecisions = args.availableDecisions;
  return serverRequest(args.id, 'item/commandExecution/requestApproval', params);
}

/** `item/fileChange/requestApproval {threadId, turnId, itemId, startedAtMs, reason, grantRoot}` (a server request). */
export function fileChangeApprovalRequest(args: {
  id: JsonRpcId;
  threadId: string;
  turnId: string;
  itemId: string;
  reason?: string | null;
  grantRoot?: string | null;
}): ServerRequestFrame<FileChangeRequestApprovalParams, 'item/fileChange/requestApproval'> {
  return serverRequest(args.id, 'item/fileChange/requestApproval', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    startedAtMs: nowMs(),
    reason: args.reason ?? null,
    grantRoot: args.grantRoot ?? null,
  });
}

/** A question of `userInputRequest`: only `id` is required; the rest defaults to a free-text question. */
export type UserInputQuestionSpec = Partial<ToolRequestUserInputQuestion> & { id: string };

/** `item/tool/requestUserInput {threadId, turnId, itemId, questions, isBlocking, autoResolutionMs}` (a server request). */
export function userInputRequest(args: {
  id: JsonRpcId;
  threadId: string;
  turnId: string;
  itemId: string;
  questions: UserInputQuestionSpec[];
  isBlocking?: boolean;
}): ServerRequestFrame<ToolRequestUserInputParams, 'item/tool/requestUserInput'> {
  return serverRequest(args.id, 'item/tool/requestUserInput', {
    threadId: args.threadId,
    turnId: args.turnId,
    itemId: args.itemId,
    questions: args.questions.map((q) => ({
      header: '',
      question: q.id,
      isOther: false,
      isSecret: false,
      options: null,
      ...q,
    })),
    isBlocking: args.isBlocking ?? true,
    autoResolutionMs: null,
  });
}
