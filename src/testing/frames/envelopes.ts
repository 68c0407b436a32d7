/** The JSON-RPC envelopes of the real server: responses, errors, notifications (with `emittedAtMs`), server requests. */
import { frameNow } from './clock';
import type { JsonRpcId } from '../../protocol/messages';

/** A server notification as sent on the wire. */
export interface NotificationFrame<P = unknown, M extends string = string> {
  /** What happened, e.g. `item/completed`. */
  method: M;
  /** The event's data. */
  params: P;
  /** Server-side emission time (not in the schema; the real server always sends it). */
  emittedAtMs: number;
}

/** A server → client request as sent on the wire. */
export interface ServerRequestFrame<P = unknown, M extends string = string> {
  /** The id the client's answer must carry. */
  id: JsonRpcId;
  /** What the server asks, e.g. `item/commandExecution/requestApproval`. */
  method: M;
  /** The request's arguments. */
  params: P;
}

/** A successful response to a client request. */
export interface ResponseFrame<R = unknown> {
  /** The id of the client's request it answers. */
  id: JsonRpcId;
  /** The method's result. */
  result: R;
}

/** A JSON-RPC error response. */
export interface ErrorResponseFrame {
  /** The id of the client's request it answers; null when the request's id could not be read. */
  id: JsonRpcId | null;
  /** Why the request failed. */
  error: {
    /** The JSON-RPC error code. */
    code: number;
    /** A human-readable account of the failure. */
    message: string;
    /** Further details, if any. */
    data?: unknown;
  };
}

/** A successful response `{id, result}` to the client's request `id`. */
export function response<R>(id: JsonRpcId, result: R): ResponseFrame<R> {
  return { id, result };
}

/** An error response `{id, error:{code, message, data?}}`; `data` is omitted when not given. */
export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): ErrorResponseFrame {
  return { id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** Any server notification `{method, params, emittedAtMs}`. */
export function notification<P, M extends string = string>(method: M, params: P): NotificationFrame<P, M> {
  return { method, params, emittedAtMs: frameNow() };
}

/** Any server → client request `{id, method, params}` (the real server's ids start at 0). */
export function serverRequest<P, M extends string = string>(id: JsonRpcId, method: M, params: P): ServerRequestFrame<P, M> {
  return { id, method, params };
}
