/**
 * `codex-rx/relay` (Node only): a WebSocket relay between browser apps (`RelayTransport`) and the
 * codex app-server, which refuses browser WebSockets. See the README's relay section.
 */
export { startRelay } from './relay';
export type { Relay, RelayEvent, RelayOptions } from './relay';
export { generateRelayToken } from './tokens';
export type { RelayTokens, RelayTokenVerifier, RelayUserToken } from './tokens';
export { relayPolicy, RELAY_REFUSED_CODE } from './policy';
export type {
  RelayApprovalPolicy,
  RelayConnection,
  RelayDecision,
  RelayFrame,
  RelayIdentity,
  RelayPolicy,
  RelayPolicyOptions,
  RelaySandboxMode,
} from './policy';
export { RELAY_METHOD_RULES } from './method-rules';
export type { RelayMethodRule } from './method-rules';
export { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX, RelayCloseCode } from './protocol';
export { StdioTransport } from '../streams/stdio';
export type { StdioTransportOptions } from '../streams/stdio';
export { WebSocketTransport } from '../streams/websocket';
export type { WebSocketTransportOptions } from '../streams/websocket';
