/**
 * The server's notifications and requests, typed by the pinned protocol's generated unions
 * (`ServerNotification`, `ServerRequest`): method names, and the params of each method.
 */
import type { ApplyPatchApprovalResponse } from './generated/ApplyPatchApprovalResponse';
import type { ExecCommandApprovalResponse } from './generated/ExecCommandApprovalResponse';
import type { AttestationGenerateResponse } from './generated/v2/AttestationGenerateResponse';
import type { ChatgptAuthTokensRefreshResponse } from './generated/v2/ChatgptAuthTokensRefreshResponse';
import type { CommandExecutionRequestApprovalResponse } from './generated/v2/CommandExecutionRequestApprovalResponse';
import type { DynamicToolCallResponse } from './generated/v2/DynamicToolCallResponse';
import type { FileChangeRequestApprovalResponse } from './generated/v2/FileChangeRequestApprovalResponse';
import type { McpServerElicitationRequestResponse } from './generated/v2/McpServerElicitationRequestResponse';
import type { PermissionsRequestApprovalResponse } from './generated/v2/PermissionsRequestApprovalResponse';
import type { ToolRequestUserInputResponse } from './generated/v2/ToolRequestUserInputResponse';
import type { ServerNotification } from './generated/ServerNotification';
import type { ServerRequest } from './generated/ServerRequest';
import type { JsonRpcId } from './messages';

export type { ServerNotification, ServerRequest };

/** A notification method of the pinned protocol (`'turn/completed'`, `'item/agentMessage/delta'`, ...). */
export type NotificationMethod = ServerNotification['method'];

/** The params of notification `M`. */
export type NotificationParams<M extends NotificationMethod> = Extract<ServerNotification, { method: M }>['params'];

/** A server-to-client request method of the pinned protocol (`'item/commandExecution/requestApproval'`, ...). */
export type ServerRequestMethod = ServerRequest['method'];

/** The params of server request `M`. */
export type ServerRequestParams<M extends ServerRequestMethod> = Extract<ServerRequest, { method: M }>['params'];

/**
 * A server request as it reaches the client: the generated `ServerRequest` of method `M`, with the
 * id as the client decodes it (an id beyond 2^53 is an exact `bigint`).
 */
export type ServerRequestMessage<M extends ServerRequestMethod = ServerRequestMethod> = M extends ServerRequestMethod
  ? { readonly id: JsonRpcId; readonly method: M; readonly params: ServerRequestParams<M> }
  : never;

/** A method of either kind that the server sends: what `ofMethod` accepts. */
export type ServerMethod = NotificationMethod | ServerRequestMethod;

/** The params of a notification or server request method. */
export type ServerMethodParams<M extends ServerMethod> = M extends NotificationMethod
  ? NotificationParams<M>
  : M extends ServerRequestMethod
    ? ServerRequestParams<M>
    : never;

/**
 * The result type of each server request method, from the pinned protocol's generated response
 * types (the generator gives no union of them: this map pairs them up; the index in
 * `ServerRequestResult` fails to compile when the pinned `ServerRequest` gains a method the map lacks).
 */
export interface ServerRequestResultMap {
  'item/commandExecution/requestApproval': CommandExecutionRequestApprovalResponse;
  'item/fileChange/requestApproval': FileChangeRequestApprovalResponse;
  'item/tool/requestUserInput': ToolRequestUserInputResponse;
  'mcpServer/elicitation/request': McpServerElicitationRequestResponse;
  'item/permissions/requestApproval': PermissionsRequestApprovalResponse;
  'item/tool/call': DynamicToolCallResponse;
  'account/chatgptAuthTokens/refresh': ChatgptAuthTokensRefreshResponse;
  'attestation/generate': AttestationGenerateResponse;
  applyPatchApproval: ApplyPatchApprovalResponse;
  execCommandApproval: ExecCommandApprovalResponse;
}

/** The result the client answers server request `M` with. */
export type ServerRequestResult<M extends ServerRequestMethod> = ServerRequestResultMap[M];
