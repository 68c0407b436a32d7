/** The JSON-RPC envelopes of the real server: responses, errors, notifications (with `emittedAtMs`), server requests. */
import { frameNow } from './clock';
import type { JsonRpcId } from '../../protocol/messages';

/** A server notification as sent on the wire. */
export interface NotificationFrame<P = unknown, M extends string = string> {
  method: M;
  params: P;
  /** Server-side emission time (not in the schema; the real server always sends it). */
  emittedAtMs: number;
}

/** A server → client request as sent on the wire. */
export interface ServerRequestFrame<P = unknown, M extends string = string> {
  id: JsonRpcId;
  method: M;
  params: P;
}

/** A successful response to a client request. */
export interface ResponseFrame<R = unknown> {
  id: JsonRpcId;
  result: R;
}

/** A JSON-RPC error response. */
export interface ErrorResponseFrame {
  id: JsonRpcId | null;
  error: { code: number; message: string; data?: unknown };
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
