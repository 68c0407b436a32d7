/** JSON-RPC frame shapes as the codex app-server sends them (it omits `"jsonrpc":"2.0"`). */

/** A request id. Server request ids beyond 2^53 are kept exact as `bigint`s. */
export type JsonRpcId = string | number | bigint;

/** A request from the server to the client (approvals, user input, ...). */
export interface JsonRpcRequest {
  /** The id the answer must carry. */
  readonly id: JsonRpcId;
  /** What is asked, e.g. `item/commandExecution/requestApproval`. */
  readonly method: string;
  /** The method's arguments. */
  readonly params?: unknown;
}

/** A message that expects no answer (the server's events: `turn/started`, `item/completed`, ...). */
export interface JsonRpcNotification {
  /** What happened, e.g. `item/completed`. */
  readonly method: string;
  /** The event's data. */
  readonly params?: unknown;
}

/** A successful answer to a request. */
export interface JsonRpcResponse {
  /** The id of the request it answers. */
  readonly id: JsonRpcId;
  /** The method's result. */
  readonly result: unknown;
}

/** Why a request failed, as a JSON-RPC error answer carries it. */
export interface JsonRpcErrorObject {
  /** The error code: one of `ErrorCodes`, or a server-specific one. */
  readonly code: number;
  /** A human-readable account of the failure. */
  readonly message: string;
  /** Further details, in a shape of the server's choosing. */
  readonly data?: unknown;
}

/** A failed answer to a request. */
export interface JsonRpcErrorResponse {
  /** The id of the request it answers; null when the request's id could not be read. */
  readonly id: JsonRpcId | null;
  /** Why the request failed. */
  readonly error: JsonRpcErrorObject;
}

/** Any frame on the wire: a request, a notification, or an answer. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse | JsonRpcErrorResponse;

export const isRequest = (m: JsonRpcMessage): m is JsonRpcRequest => 'method' in m && (m as JsonRpcRequest).id !== undefined;
export const isNotification = (m: JsonRpcMessage): m is JsonRpcNotification => 'method' in m && (m as JsonRpcRequest).id === undefined;

/** Standard and codex-specific JSON-RPC error codes. */
export const ErrorCodes = {
  /** The message was not JSON. */
  ParseError: -32700,
  /** The message was no valid request (e.g. the server's answer to a remote image URL). */
  InvalidRequest: -32600,
  /** No such method: the client answers server requests it has no handler for with it. */
  MethodNotFound: -32601,
  /** The method's params were invalid. */
  InvalidParams: -32602,
  /** An internal error: the client answers with it when a server-request handler fails. */
  InternalError: -32603,
  /** The server is overloaded; the request may be retried later. */
  ServerOverloaded: -32001,
} as const;
