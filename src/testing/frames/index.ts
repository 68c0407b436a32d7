/**
 * Builders of inbound JSON-RPC frames shaped like the real `codex app-server`'s (v2 protocol):
 * no `"jsonrpc"` key, an `emittedAtMs` on every notification, the full field set of each payload.
 * Feed them to an `InMemoryTransport` or use them as marble values.
 *
 * Timestamps come from the frame clock, a constant by default so that frames built at different
 * moments compare equal in `toEqual`/marble assertions; `setFrameClock(Date.now)` (or a test
 * scheduler's `now`) makes them live.
 */
export { DEFAULT_FRAME_TIME_MS, setFrameClock } from './clock';
export * from './envelopes';
export * from './turns';
export * from './items';
export * from './deltas';
export * from './server-requests';
export * from './more-server-requests';
