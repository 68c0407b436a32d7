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
export type NotificationParams<M extends NotificationMethod> = Extract<
  ServerNotification,
  {
    /** Picks the union member of method `M`. */
    method: M;
  }
>['params'];

/** A server-to-client request method of the pinned protocol (`'item/commandExecution/requestApproval'`, ...). */
export type ServerRequestMethod = ServerRequest['method'];

/** The params of server request `M`. */
export type ServerRequestParams<M extends ServerRequestMethod> = Extract<
  ServerRequest,
  {
    /** Picks the union member of method `M`. */
    method: M;
  }
>['params'];

/**
 * A server request as it reaches the client: the generated `ServerRequest` of method `M`, with the
 * id as the client decodes it (an id beyond 2^53 is an exact `bigint`).
 */
export type ServerRequestMessage<M extends ServerRequestMethod = ServerRequestMethod> = M extends ServerRequestMethod
  ? {
      /** The id the answer goes back under. */
      readonly id: JsonRpcId;
      /** What the server asks for. */
      readonly method: M;
      /** The request's params, typed by the pinned protocol (not decoded: a newer server's extra fields pass). */
      readonly params: ServerRequestParams<M>;
    }
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
  /** The decision on running a command. */
  'item/commandExecution/requestApproval': CommandExecutionRequestApprovalResponse;
  /** The decision on applying file changes. */
  'item/fileChange/requestApproval': FileChangeRequestApprovalResponse;
  /** The user's answers, by question id. */
  'item/tool/requestUserInput': ToolRequestUserInputResponse;
  /** The user's answer to an MCP server's form or URL. */
  'mcpServer/elicitation/request': McpServerElicitationRequestResponse;
  /** The permissions granted, and for how long. */
  'item/permissions/requestApproval': PermissionsRequestApprovalResponse;
  /** What a client-side tool returns to the model. */
  'item/tool/call': DynamicToolCallResponse;
  /** Fresh ChatGPT tokens, for a client that manages the login itself. */
  'account/chatgptAuthTokens/refresh': ChatgptAuthTokensRefreshResponse;
  /** An attestation, for a connection that opted into `requestAttestation`. */
  'attestation/generate': AttestationGenerateResponse;
  /** The legacy file-change approval's decision. */
  applyPatchApproval: ApplyPatchApprovalResponse;
  /** The legacy command approval's decision. */
  execCommandApproval: ExecCommandApprovalResponse;
}

/** The result the client answers server request `M` with. */
export type ServerRequestResult<M extends ServerRequestMethod> = ServerRequestResultMap[M];
