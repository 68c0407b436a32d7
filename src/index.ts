export { CodexClient } from './client';
export { ThreadHandle } from './thread-handle';
export type { ThreadChatOptions } from './thread-handle';
export type { ChatOptions } from './engine/turns';
export type { UserInputAnswers, UserInputHandler, UserInputRequest } from './engine/server-requests';
export type { ClientOptions, StdioOptions, WebSocketOptions } from './options';
export * from './errors';
export type * from './models';
export type { Transport } from './streams/transport';
export { RelayTransport } from './streams/relay-transport';
export type { RelayTransportOptions, WebSocketConstructor, WebSocketLike } from './streams/relay-transport';
export { InvalidLine, ndjson } from './streams/ndjson';
export type { NdjsonConfig } from './streams/ndjson';
export { JsonRpcConnection, isSafeToRetry } from './streams/connection';
export type { ConnectionOptions, RequestOptions, RetryPolicy } from './streams/connection';
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
export * as codecs from './protocol/codecs';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
