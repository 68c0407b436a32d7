/**
 * `codex-rx/relay` (Node only): a WebSocket relay between browser apps (`RelayTransport`) and the
 * codex app-server, which refuses browser WebSockets. See the README's browser section.
 */
export { generateRelayToken, startRelay } from './relay';
export type { Relay, RelayEvent, RelayOptions } from './relay';
export { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX, RelayCloseCode } from './protocol';
export { StdioTransport } from '../streams/stdio';
export type { StdioTransportOptions } from '../streams/stdio';
export { WebSocketTransport } from '../streams/websocket';
export type { WebSocketTransportOptions } from '../streams/websocket';
