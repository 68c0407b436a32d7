/** Approval requests: io-ts parsing into the public shapes, and decisions into protocol payloads. */
import type { ApprovalDecision, ApprovalRequest } from '../models';
import { CommandApprovalParamsCodec, FileChangeApprovalParamsCodec, firstInvalidField } from './codecs';
import { describeValue } from './describe';
import type { JsonRpcRequest } from './messages';
import type { CommandAction } from './generated/v2/CommandAction';
import type { CommandExecutionApprovalDecision } from './generated/v2/CommandExecutionApprovalDecision';

export const COMMAND_APPROVAL_METHOD = 'item/commandExecution/requestApproval';
export const FILE_CHANGE_APPROVAL_METHOD = 'item/fileChange/requestApproval';

export function isApprovalMethod(method: string): boolean {
  return method === COMMAND_APPROVAL_METHOD || method === FILE_CHANGE_APPROVAL_METHOD;
}

/** The parsed request, or the name of the first invalid field. */
export type ParsedApproval = { ok: true; request: ApprovalRequest } | { ok: false; field: string };

export function parseApprovalRequest(frame: JsonRpcRequest): ParsedApproval {
  const params = frame.params;
  if (frame.method === COMMAND_APPROVAL_METHOD) {
    if (!CommandApprovalParamsCodec.is(params)) {
      return { ok: false, field: firstInvalidField(CommandApprovalParamsCodec, params) ?? '(params)' };
    }
    return {
      ok: true,
      request: {
        kind: 'command',
        requestId: frame.id,
        threadId: params.threadId,
        turnId: params.turnId,
        itemId: params.itemId,
        reason: params.reason ?? null,
        command: params.command ?? null,
        cwd: params.cwd ?? null,
        // Typed by the pinned protocol (the codec checks it is an array).
        commandActions: (params.commandActions as CommandAction[] | null | undefined) ?? null,
        proposedExecpolicyAmendment: params.proposedExecpolicyAmendment ?? null,
        availableDecisions: (params.availableDecisions as CommandExecutionApprovalDecision[] | null | undefined) ?? null,
        raw: params as Record<string, unknown>,
      },
    };
  }
  if (!FileChangeApprovalParamsCodec.is(params)) {
    return { ok: false, field: firstInvalidField(FileChangeApprovalParamsCodec, params) ?? '(params)' };
  }
  return {
    ok: true,
    request: {
      kind: 'fileChange',
      requestId: frame.id,
      threadId: params.threadId,
      turnId: params.turnId,
      itemId: params.itemId,
      reason: params.reason ?? null,
      grantRoot: params.grantRoot ?? null,
      raw: params as Record<string, unknown>,
    },
  };
}

const SIMPLE_DECISIONS = new Set(['accept', 'acceptForSession', 'decline', 'cancel']);

/**
 * The protocol's answer to `request` for `decision`: `{decision}`, with an execpolicy amendment as
 * `{acceptWithExecpolicyAmendment:{execpolicy_amendment:[...]}}`. Throws `TypeError` for a decision
 * that is not valid for the request (unknown value, or an amendment on a file change).
 */
export function approvalResponse(request: ApprovalRequest, decision: ApprovalDecision): { decision: unknown } {
  if (typeof decision === 'string') {
    if (!SIMPLE_DECISIONS.has(decision)) throw new TypeError(`unknown approval decision '${decision}'`);
    return { decision };
  }
  const amendment = (decision as { acceptWithExecpolicyAmendment?: unknown } | null)?.acceptWithExecpolicyAmendment;
  if (!Array.isArray(amendment) || !amendment.every((s) => typeof s === 'string')) {
    throw new TypeError(`invalid approval decision ${describeValue(decision)}`);
  }
  if (request.kind !== 'command') {
    throw new TypeError('an execpolicy amendment applies to command approvals only, not to file changes');
  }
  return { decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: [...amendment] } } };
}
