export { CodexClient } from './client';
export { ThreadHandle } from './thread-handle';
export { CodexPool } from './pool/pool';
export type { PlacementOptions, PoolChatIterableOptions, PoolChatOptions, PoolOptions } from './pool/options';
export type { PoolMember, PoolMemberInit, PoolMemberSource } from './pool/members';
export { CodexPoolError } from './pool/pool-error';
export type { ThreadClient } from './thread-handle';
export type { EngineStats } from './engine/engine';
export type { ConnectionState } from './engine/link-recovery';
export type { LinkEvent, OutboundHandle } from './streams/transport';
export type { UserInputAnswers, UserInputHandler, UserInputRequest } from './engine/user-input';
export type { ServerRequestContext, ServerRequestHandler } from './engine/request-handlers';
export { defineTool } from './tools';
export type { StandardSchemaV1, ToolContentItem, ToolContext, ToolDefinition, ToolOutput, ToolReturn } from './tools';
export { elicitationHandler } from './elicitation';
export type { ElicitationAnswer, ElicitationHandlers, FormElicitation, UrlElicitation } from './elicitation';
export type * from './options';
export { DEFAULTS } from './defaults';
export * from './errors';
export type * from './models';
export type { Transport } from './streams/transport';
export { RelayTransport } from './streams/relay-transport';
export type { RelayTransportOptions, WebSocketConstructor, WebSocketLike } from './streams/relay-transport';
export { InvalidLine, ndjson } from './streams/ndjson';
export type { NdjsonConfig } from './streams/ndjson';
export { isSafeToRetry } from './streams/retry-policy';
export type {
  JsonRpcErrorObject,
  JsonRpcErrorResponse,
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from './protocol/messages';
export { ErrorCodes } from './protocol/messages';
export type { ClientRequestMap, ClientRequestMethod, KnownClientRequestMethod, ParamsOf, ResultOf } from './protocol/methods';
export { PROTOCOL_SERVER_VERSION } from './protocol/methods';
export type { ChatInput } from './protocol/input';
export type {
  NotificationMethod,
  NotificationParams,
  ServerNotification,
  ServerRequestMessage,
  ServerRequestMethod,
  ServerRequestParams,
  ServerRequestResult,
  ServerRequestResultMap,
} from './protocol/server-messages';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export type { ThreadView, TurnView, TurnPlanView } from './view/thread-view';
export { emptyThreadView } from './view/thread-view';
export { reduceThreadView } from './view/reduce-thread-view';
export { reconcileThreadView } from './view/reconcile-thread-view';
export type { StoredThread } from './view/reconcile-thread-view';
export type { TraceContext } from './streams/probe';
