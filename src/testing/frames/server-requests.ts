/** Server → client requests (approvals, user input) and `serverRequest/resolved`, which ends them. */
import { itemRef } from './item-ref';
import { frameNow } from './clock';
import { notification, type NotificationFrame, serverRequest, type ServerRequestFrame } from './envelopes';
import type { JsonRpcId } from '../../protocol/messages';
import type { CommandExecutionRequestApprovalParams } from '../../protocol/generated/v2/CommandExecutionRequestApprovalParams';
import type { FileChangeRequestApprovalParams } from '../../protocol/generated/v2/FileChangeRequestApprovalParams';
import type { ServerRequestResolvedNotification } from '../../protocol/generated/v2/ServerRequestResolvedNotification';
import type { ToolRequestUserInputParams } from '../../protocol/generated/v2/ToolRequestUserInputParams';
import type { ToolRequestUserInputQuestion } from '../../protocol/generated/v2/ToolRequestUserInputQuestion';

/** `serverRequest/resolved {threadId, requestId}` (after an answer, or when the server drops the request). */
export function serverRequestResolved(args: {
  threadId: string;
  requestId: string | number;
}): NotificationFrame<ServerRequestResolvedNotification, 'serverRequest/resolved'> {
  return notification('serverRequest/resolved', { threadId: args.threadId, requestId: args.requestId });
}

/** Wire params of a command approval: the schema's fields plus `availableDecisions`, which the server sends. */
export type CommandApprovalParams = CommandExecutionRequestApprovalParams & {
  /** The answers the server offers for this request (`accept`, `decline`, ...); absent unless given. */
  availableDecisions?: unknown[] | null;
};

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
    ...itemRef(args),
    startedAtMs: frameNow(),
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
    ...itemRef(args),
    startedAtMs: frameNow(),
    reason: args.reason ?? null,
    grantRoot: args.grantRoot ?? null,
  });
}

/** A question of `userInputRequest`: only `id` is required; the rest defaults to a free-text question. */
export type UserInputQuestionSpec = Partial<ToolRequestUserInputQuestion> & {
  /** The key the client's answers to this question come back under. */
  id: string;
};

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
    ...itemRef(args),
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
