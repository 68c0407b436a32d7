/**
 * The Node transports, as the package-internal import `#node-transports` resolves them under the
 * `node` condition (package.json `imports`). Bundles for browsers get `browser-transports.ts`
 * instead, so `ws`, `cross-spawn` and `node:*` never enter them.
 */
export { StdioTransport } from './stdio';
export { WebSocketTransport } from './websocket';
export { unixSocketUrl } from './unix';
// Not a transport, but Node-only like them: diagnostics_channel and NODE_DEBUG (see node-probe.ts).
export { nodeProbe as probe } from './node-probe';
