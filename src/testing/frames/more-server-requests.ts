/**
 * The server → client requests beyond approvals and user input: client-side tool calls, MCP
 * elicitation, permissions, auth-token refresh, attestation, and the legacy approvals. Each is
 * typed by the pinned protocol's params; unset fields get the values the real server sends.
 */
import { itemRef } from './item-ref';
import { frameNow } from './clock';
import { serverRequest, type ServerRequestFrame } from './envelopes';
import type { JsonRpcId } from '../../protocol/messages';
import type { ApplyPatchApprovalParams } from '../../protocol/generated/ApplyPatchApprovalParams';
import type { ExecCommandApprovalParams } from '../../protocol/generated/ExecCommandApprovalParams';
import type { JsonValue } from '../../protocol/generated/serde_json/JsonValue';
import type { AttestationGenerateParams } from '../../protocol/generated/v2/AttestationGenerateParams';
import type { ChatgptAuthTokensRefreshParams } from '../../protocol/generated/v2/ChatgptAuthTokensRefreshParams';
import type { DynamicToolCallParams } from '../../protocol/generated/v2/DynamicToolCallParams';
import type { McpElicitationSchema } from '../../protocol/generated/v2/McpElicitationSchema';
import type { McpServerElicitationRequestParams } from '../../protocol/generated/v2/McpServerElicitationRequestParams';
import type { PermissionsRequestApprovalParams } from '../../protocol/generated/v2/PermissionsRequestApprovalParams';
import type { RequestPermissionProfile } from '../../protocol/generated/v2/RequestPermissionProfile';

/** `item/tool/call {threadId, turnId, callId, namespace, tool, arguments}`: the model calls a client-side tool. */
export function toolCallRequest(args: {
  id: JsonRpcId;
  threadId: string;
  turnId: string;
  tool: string;
  arguments?: JsonValue;
  callId?: string;
  namespace?: string | null;
}): ServerRequestFrame<DynamicToolCallParams, 'item/tool/call'> {
  return serverRequest(args.id, 'item/tool/call', {
    threadId: args.threadId,
    turnId: args.turnId,
    callId: args.callId ?? `call-${String(args.id)}`,
    namespace: args.namespace ?? null,
    tool: args.tool,
    arguments: args.arguments ?? {},
  });
}

/** `mcpServer/elicitation/request` in form mode (`requestedSchema`) or url mode (`url`). */
export function elicitationRequest(
  args: { id: JsonRpcId; threadId: string; turnId?: string | null; serverName?: string; message: string } & (
    { requestedSchema: McpElicitationSchema } | { url: string; elicitationId?: string }
  ),
): ServerRequestFrame<McpServerElicitationRequestParams, 'mcpServer/elicitation/request'> {
  const base = { threadId: args.threadId, turnId: args.turnId ?? null, serverName: args.serverName ?? 'mcp', environmentId: null };
  const mode =
    'url' in args
      ? {
          mode: 'url' as const,
          _meta: null,
          message: args.message,
          url: args.url,
          elicitationId: args.elicitationId ?? `elicit-${String(args.id)}`,
        }
      : { mode: 'form' as const, _meta: null, message: args.message, requestedSchema: args.requestedSchema };
  return serverRequest(args.id, 'mcpServer/elicitation/request', { ...base, ...mode });
}

/** `item/permissions/requestApproval`: the agent asks for more permissions (default: network access). */
export function permissionsApprovalRequest(args: {
  id: JsonRpcId;
  threadId: string;
  turnId: string;
  itemId: string;
  permissions?: RequestPermissionProfile;
  reason?: string | null;
  cwd?: string;
}): ServerRequestFrame<PermissionsRequestApprovalParams, 'item/permissions/requestApproval'> {
  return serverRequest(args.id, 'item/permissions/requestApproval', {
    ...itemRef(args),
    environmentId: null,
    startedAtMs: frameNow(),
    cwd: args.cwd ?? '/workspace',
    reason: args.reason ?? null,
    permissions: args.permissions ?? { network: { enabled: true }, fileSystem: null },
  });
}

/** `account/chatgptAuthTokens/refresh {reason: 'unauthorized', previousAccountId}`. */
export function authTokensRefreshRequest(args: {
  id: JsonRpcId;
  previousAccountId?: string | null;
}): ServerRequestFrame<ChatgptAuthTokensRefreshParams, 'account/chatgptAuthTokens/refresh'> {
  return serverRequest(args.id, 'account/chatgptAuthTokens/refresh', {
    reason: 'unauthorized',
    previousAccountId: args.previousAccountId ?? null,
  });
}

/** `attestation/generate {}` (sent to clients that declared `requestAttestation`). */
export function attestationRequest(args: { id: JsonRpcId }): ServerRequestFrame<AttestationGenerateParams, 'attestation/generate'> {
  return serverRequest(args.id, 'attestation/generate', {});
}

/** The legacy `execCommandApproval {conversationId, callId, approvalId, command, cwd, reason, parsedCmd}`. */
export function execCommandApprovalRequest(args: {
  id: JsonRpcId;
  conversationId: string;
  callId: string;
  command: string[];
  cwd?: string;
  reason?: string | null;
}): ServerRequestFrame<ExecCommandApprovalParams, 'execCommandApproval'> {
  return serverRequest(args.id, 'execCommandApproval', {
    conversationId: args.conversationId,
    callId: args.callId,
    approvalId: null,
    command: args.command,
    cwd: args.cwd ?? '/workspace',
    reason: args.reason ?? null,
    parsedCmd: [],
  });
}

/** The legacy `applyPatchApproval {conversationId, callId, fileChanges, reason, grantRoot}`. */
export function applyPatchApprovalRequest(args: {
  id: JsonRpcId;
  conversationId: string;
  callId: string;
  fileChanges?: ApplyPatchApprovalParams['fileChanges'];
  reason?: string | null;
  grantRoot?: string | null;
}): ServerRequestFrame<ApplyPatchApprovalParams, 'applyPatchApproval'> {
  return serverRequest(args.id, 'applyPatchApproval', {
    conversationId: args.conversationId,
    callId: args.callId,
    fileChanges: args.fileChanges ?? {},
    reason: args.reason ?? null,
    grantRoot: args.grantRoot ?? null,
  });
}
