/** JSON-RPC frame shapes as the codex app-server sends them (it omits `"jsonrpc":"2.0"`). */

/** A request id. Server request ids beyond 2^53 are kept exact as `bigint`s. */
export type JsonRpcId = string | number | bigint;

/** A request from the server to the client (approvals, user input, ...). */
export interface JsonRpcRequest {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params?: unknown;
}

export interface JsonRpcNotification {
  readonly method: string;
  readonly params?: unknown;
}

export interface JsonRpcResponse {
  readonly id: JsonRpcId;
  readonly result: unknown;
}

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JsonRpcErrorResponse {
  readonly id: JsonRpcId | null;
  readonly error: JsonRpcErrorObject;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse | JsonRpcErrorResponse;

export const isRequest = (m: JsonRpcMessage): m is JsonRpcRequest => 'method' in m && (m as JsonRpcRequest).id !== undefined;
export const isNotification = (m: JsonRpcMessage): m is JsonRpcNotification => 'method' in m && (m as JsonRpcRequest).id === undefined;
export const isResponse = (m: JsonRpcMessage): m is JsonRpcResponse => !('method' in m) && 'result' in m;
export const isErrorResponse = (m: JsonRpcMessage): m is JsonRpcErrorResponse => !('method' in m) && 'error' in m;

/** Standard and codex-specific JSON-RPC error codes. */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The server is overloaded; the request may be retried later. */
  ServerOverloaded: -32001,
} as const;
