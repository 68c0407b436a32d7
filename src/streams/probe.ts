/**
 * What the connection reports to observers outside it (Node's `diagnostics_channel` and
 * `NODE_DEBUG=codex-rx`): an interface with no Node types, so browser builds (where the
 * `#node-transports` import resolves to a stand-in with no probe) compile and bundle without it.
 */

/** The W3C trace context of a request (`traceparent`, `tracestate`), sent as the request envelope's `trace`. */
export interface TraceContext {
  /** The W3C `traceparent` header value: version, trace id, parent span id, flags. */
  readonly traceparent?: string;
  /** The W3C `tracestate` header value: vendor-specific trace data, passed on as is. */
  readonly tracestate?: string;
}

/** Callbacks of one traced operation: exactly one of them is called. */
export interface TraceEnd {
  done(result: unknown): void;
  fail(error: unknown): void;
}

/** The connection's reporter. Every method is cheap when nobody listens (it checks before building anything). */
export interface Probe {
  /** An inbound frame, decoded. */
  inbound(frame: object, connection: object): void;
  /** An outbound frame, as its JSON text (parsed only when someone listens). */
  outbound(text: string, connection: object): void;
  /** A request about to be sent: its trace, or null when nobody traces requests. */
  request(method: string, params: unknown, connection: object): TraceEnd | null;
  /** A lifecycle event of the connection (opened, link down/up, closed), for the debug log. */
  lifecycle(event: string, connection: object, detail?: unknown): void;
  /** The connection ended (logged): turns still traced end with this error. */
  closed(connection: object, error: unknown): void;
}
