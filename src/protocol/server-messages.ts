/**
 * The server's notifications and requests, typed by the pinned protocol's generated unions
 * (`ServerNotification`, `ServerRequest`): method names, and the params of each method.
 */
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
