/** Approval requests: io-ts parsing into the public shapes, and decisions into protocol payloads. */
import type { ApprovalDecision, ApprovalRequest } from '../models';
import {
  ApplyPatchApprovalParamsCodec,
  CommandApprovalParamsCodec,
  ExecCommandApprovalParamsCodec,
  FileChangeApprovalParamsCodec,
  firstInvalidField,
  PermissionsApprovalParamsCodec,
} from './codecs';
import { describeValue } from './describe';
import type { JsonRpcRequest } from './messages';
import type { CommandAction } from './generated/v2/CommandAction';
import type { CommandExecutionApprovalDecision } from './generated/v2/CommandExecutionApprovalDecision';
import type { GrantedPermissionProfile } from './generated/v2/GrantedPermissionProfile';
import type { PermissionsRequestApprovalResponse } from './generated/v2/PermissionsRequestApprovalResponse';
import type { RequestPermissionProfile } from './generated/v2/RequestPermissionProfile';
import type { ReviewDecision } from './generated/ReviewDecision';

export const COMMAND_APPROVAL_METHOD = 'item/commandExecution/requestApproval';
export const FILE_CHANGE_APPROVAL_METHOD = 'item/fileChange/requestApproval';
export const PERMISSIONS_APPROVAL_METHOD = 'item/permissions/requestApproval';

const APPROVAL_METHODS: ReadonlySet<string> = new Set([
  COMMAND_APPROVAL_METHOD,
  FILE_CHANGE_APPROVAL_METHOD,
  PERMISSIONS_APPROVAL_METHOD,
  'execCommandApproval',
  'applyPatchApproval',
]);

/** A server request the approval handler answers (commands, file changes, permissions, and their legacy forms). */
export function isApprovalMethod(method: string): boolean {
  return APPROVAL_METHODS.has(method);
}

/** The parsed request, or the name of the first invalid field. */
export type ParsedApproval = { ok: true; request: ApprovalRequest } | { ok: false; field: string };

export function parseApprovalRequest(frame: JsonRpcRequest): ParsedApproval {
  const params = frame.params;
  if (frame.method === PERMISSIONS_APPROVAL_METHOD) return parsePermissions(frame);
  if (frame.method === 'execCommandApproval' || frame.method === 'applyPatchApproval') return parseLegacy(frame);
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
        method: COMMAND_APPROVAL_METHOD,
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
      method: FILE_CHANGE_APPROVAL_METHOD,
    },
  };
}

function parsePermissions(frame: JsonRpcRequest): ParsedApproval {
  const params = frame.params;
  if (!PermissionsApprovalParamsCodec.is(params)) {
    return { ok: false, field: firstInvalidField(PermissionsApprovalParamsCodec, params) ?? '(params)' };
  }
  return {
    ok: true,
    request: {
      kind: 'permissions',
      requestId: frame.id,
      threadId: params.threadId,
      turnId: params.turnId,
      itemId: params.itemId,
      reason: params.reason ?? null,
      // Typed by the pinned protocol (the codec checks it is an object).
      permissions: params.permissions as RequestPermissionProfile,
      cwd: params.cwd ?? null,
      environmentId: params.environmentId ?? null,
      raw: params as Record<string, unknown>,
      method: PERMISSIONS_APPROVAL_METHOD,
    },
  };
}

/** The legacy requests name the thread `conversationId` and the item `callId`, and carry no turn id. */
function parseLegacy(frame: JsonRpcRequest): ParsedApproval {
  const params = frame.params;
  const base = { requestId: frame.id, turnId: '', raw: params as Record<string, unknown> };
  if (frame.method === 'execCommandApproval') {
    if (!ExecCommandApprovalParamsCodec.is(params)) {
      return { ok: false, field: firstInvalidField(ExecCommandApprovalParamsCodec, params) ?? '(params)' };
    }
    return {
      ok: true,
      request: {
        ...base,
        kind: 'command',
        threadId: params.conversationId,
        itemId: params.callId,
        reason: params.reason ?? null,
        command: params.command.join(' '),
        cwd: params.cwd ?? null,
        commandActions: null,
        proposedExecpolicyAmendment: null,
        availableDecisions: null,
        method: 'execCommandApproval',
      },
    };
  }
  if (!ApplyPatchApprovalParamsCodec.is(params)) {
    return { ok: false, field: firstInvalidField(ApplyPatchApprovalParamsCodec, params) ?? '(params)' };
  }
  return {
    ok: true,
    request: {
      ...base,
      kind: 'fileChange',
      threadId: params.conversationId,
      itemId: params.callId,
      reason: params.reason ?? null,
      grantRoot: params.grantRoot ?? null,
      method: 'applyPatchApproval',
    },
  };
}

const SIMPLE_DECISIONS = new Set(['accept', 'acceptForSession', 'decline', 'cancel']);

/**
 * The protocol's answer to `request` for `decision`: `{decision}`, with an execpolicy amendment as
 * `{acceptWithExecpolicyAmendment:{execpolicy_amendment:[...]}}`; a permissions request's
 * `{permissions, scope}`; the legacy requests' `ReviewDecision`. Throws `TypeError` for a decision
 * that is not valid for the request (unknown value, or an amendment on anything but a command).
 */
export function approvalResponse(request: ApprovalRequest, decision: ApprovalDecision): ApprovalPayload {
  if (typeof decision === 'string') {
    if (!SIMPLE_DECISIONS.has(decision)) throw new TypeError(`unknown approval decision '${decision}'`);
    if (request.kind === 'permissions') return permissionsResponse(request.permissions, decision);
    if (isLegacy(request)) return { decision: LEGACY_DECISIONS[decision] };
    return { decision };
  }
  const amendment = (decision as { acceptWithExecpolicyAmendment?: unknown } | null)?.acceptWithExecpolicyAmendment;
  if (!Array.isArray(amendment) || !amendment.every((s) => typeof s === 'string')) {
    throw new TypeError(`invalid approval decision ${describeValue(decision)}`);
  }
  if (request.kind !== 'command') {
    throw new TypeError(`an execpolicy amendment applies to command approvals only, not to ${request.kind} approvals`);
  }
  if (isLegacy(request)) return { decision: { approved_execpolicy_amendment: { proposed_execpolicy_amendment: [...amendment] } } };
  return { decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: [...amendment] } } };
}

/** The answer body of any approval method. */
export type ApprovalPayload = { decision: unknown } | PermissionsRequestApprovalResponse;

const isLegacy = (request: ApprovalRequest) => request.method === 'execCommandApproval' || request.method === 'applyPatchApproval';

/** The legacy requests' `ReviewDecision` for each simple decision. */
const LEGACY_DECISIONS: Record<string, ReviewDecision> = {
  accept: 'approved',
  acceptForSession: 'approved_for_session',
  decline: { denied: { rejection: 'declined by the user' } },
  cancel: 'abort',
};

/** Grants what was asked (its non-null parts) for the turn or the session; decline and cancel grant nothing. */
function permissionsResponse(asked: RequestPermissionProfile, decision: string): PermissionsRequestApprovalResponse {
  if (decision !== 'accept' && decision !== 'acceptForSession') return { permissions: {}, scope: 'turn' };
  const permissions: GrantedPermissionProfile = {};
  if (asked.network) permissions.network = asked.network;
  if (asked.fileSystem) permissions.fileSystem = asked.fileSystem;
  return { permissions, scope: decision === 'accept' ? 'turn' : 'session' };
}
