/**
 * `#node-transports` outside Node (the `browser` and `default` conditions of package.json
 * `imports`): the same names, failing with a pointer to what works there. Keeps `ws`, `cross-spawn`
 * and `node:*` out of browser bundles.
 */
import type { StdioTransport as NodeStdioTransport } from './stdio';
import type { WebSocketTransport as NodeWebSocketTransport } from './websocket';

function nodeOnly(name: string): never {
  throw new TypeError(
    `${name} needs Node.js. In a browser, talk to a codex-rx relay on your backend: new CodexClient(new RelayTransport({ url, token }))`,
  );
}

export const StdioTransport = class {
  constructor() {
    nodeOnly('CodexClient.connectStdio()');
  }
} as unknown as typeof NodeStdioTransport;

export function unixSocketUrl(): string {
  return nodeOnly('CodexClient.connectUnix()');
}

export const WebSocketTransport = class {
  constructor() {
    nodeOnly('CodexClient.connectWebSocket()');
  }
} as unknown as typeof NodeWebSocketTransport;

/** No `diagnostics_channel` outside Node: frames are observed with `frames$` and `framesOut$` there. */
export const probe: import('./probe').Probe | null = null;
