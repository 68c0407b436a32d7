/**
 * `codex-rx/relay` (Node): lets a browser app reach a codex app-server, which refuses browser
 * WebSockets (it rejects any `Origin`). Each accepted browser WebSocket gets its own app-server
 * connection (by default `codex app-server` over stdio), bridged frame for frame; the client runs in
 * the browser (`RelayTransport`). The relay admits a browser only with the token and from an
 * allowed Origin, and stops the app-server when the browser goes away.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Observable, Subject } from 'rxjs';
import { WebSocketServer } from 'ws';
import type { Diagnostic } from '../models';
import { StdioTransport, type StdioTransportOptions } from '../streams/stdio';
import type { Transport } from '../streams/transport';
import { Bridge } from './bridge';
import { RELAY_PROTOCOL, RELAY_TOKEN_PATTERN, RELAY_TOKEN_PREFIX, RelayCloseCode } from './protocol';

/** Options of `startRelay`. */
export interface RelayOptions {
  /**
   * The secret a client must present: as the WebSocket subprotocol `codex-rx.token.<token>`
   * (browsers, `RelayTransport`) or as `Authorization: Bearer <token>` (other clients). A function
   * decides per connection instead (per-user tokens). `generateRelayToken()` makes a good one.
   */
  token: string | ((token: string, request: http.IncomingMessage) => boolean | Promise<boolean>);
  /**
   * Origins (`scheme://host[:port]`, as browsers send them) allowed to connect. Browsers always
   * send `Origin`; a request without one (not a browser) is let through to the token check.
   */
  allowedOrigins: readonly string[];
  /** Serve on this HTTP(S) server (upgrades of other paths are left to its other listeners). */
  server?: http.Server;
  /** Without `server`: listen on this port (default 0, any free one) and host (default 127.0.0.1). */
  port?: number;
  host?: string;
  /** The URL path of the relay. Default `/codex`. */
  path?: string;
  /**
   * The app-server side of each connection: a factory of `Transport`s, or the options of a stdio
   * transport (default: `codex app-server`, or `CODEX_APP_SERVER_CMD`).
   */
  upstream?: StdioTransportOptions | (() => Transport);
  /** A browser that answers no ping for this long is dropped (and its app-server stopped). Default 30,000 ms; 0 = never. */
  heartbeatMs?: number;
  /** Largest message accepted from a browser. Default 16 MiB. */
  maxPayloadBytes?: number;
  /** Most connections at once (each runs an app-server). Default 8. */
  maxConnections?: number;
}

/** What the relay did, for logs and tests. */
export type RelayEvent =
  | { readonly type: 'refused'; readonly status: 401 | 403 | 503; readonly reason: string; readonly origin: string | null }
  | { readonly type: 'open'; readonly id: number; readonly origin: string | null }
  | { readonly type: 'diagnostic'; readonly id: number; readonly diagnostic: Diagnostic }
  /** The connection is over and its app-server stopped; `answeredByRelay` counts server requests the relay had to answer. */
  | { readonly type: 'closed'; readonly id: number; readonly code: number; readonly reason: string; readonly answeredByRelay: number };

export interface Relay {
  /** `ws://host:port/path` of the relay (of `server` when one was given and listens). */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Hot: what happens, as it happens. Completes on `close()`. */
  readonly events$: Observable<RelayEvent>;
  /** Closes every connection (1001), stops their app-servers, and stops listening (not a given `server`). */
  close(): Promise<void>;
}

/** 32 random bytes, base64url: a token fit for a subprotocol and a URL. */
export function generateRelayToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const path = options.path ?? '/codex';
  if (typeof options.token === 'string' && !RELAY_TOKEN_PATTERN.test(options.token)) {
    throw new TypeError('startRelay: the token must be letters, digits, ".", "_", "~" or "-" (generateRelayToken() makes one)');
  }
  const allowed = new Set(options.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  const events = new Subject<RelayEvent>();
  const bridges = new Set<Bridge>();
  const maxConnections = options.maxConnections ?? 8;
  let seq = 0;
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxPayloadBytes ?? 16 * 1024 * 1024,
    // Select the relay protocol, never the token.
    handleProtocols: (offered) => (offered.has(RELAY_PROTOCOL) ? RELAY_PROTOCOL : false),
  });
  const ownServer = !options.server;
  const server =
    options.server ??
    http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('codex-rx relay: WebSocket only\n');
    });

  const upstream = (): Transport =>
    typeof options.upstream === 'function' ? options.upstream() : new StdioTransport(options.upstream ?? {});

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://relay').pathname !== path) {
      if (ownServer) refuseHttp(socket, 404, 'no relay here');
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    // Browsers cannot see the status of a refused upgrade: relay clients are told by a close code.
    const refuse = (status: 401 | 403 | 503, closeCode: number, reason: string) => {
      events.next({ type: 'refused', status, reason, origin });
      if (offered.includes(RELAY_PROTOCOL)) wss.handleUpgrade(req, socket, head, (ws) => ws.close(closeCode, reason));
      else refuseHttp(socket, status, reason);
    };
    if (closing) return refuseHttp(socket, 503, 'relay is closing');
    if (origin !== null && !allowed.has(origin.toLowerCase())) return refuse(403, RelayCloseCode.forbidden, 'origin not allowed');
    const presented = offered.find((p) => p.startsWith(RELAY_TOKEN_PREFIX))?.slice(RELAY_TOKEN_PREFIX.length) ?? bearer(req);
    void checkToken(options.token, presented, req).then((ok) => {
      if (!ok) return refuse(401, RelayCloseCode.unauthorized, presented ? 'wrong token' : 'no token');
      if (bridges.size >= maxConnections) return refuse(503, RelayCloseCode.busy, 'too many connections');
      wss.handleUpgrade(req, socket, head, (ws) => {
        const id = ++seq;
        const bridge = new Bridge(ws, upstream(), {
          diagnostic: (diagnostic) => events.next({ type: 'diagnostic', id, diagnostic }),
          ended: (info) => {
            bridges.delete(bridge);
            events.next({ type: 'closed', id, ...info });
          },
        });
        bridges.add(bridge);
        events.next({ type: 'open', id, origin });
        void bridge.open();
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const b of bridges) {
            if (!b.alive) b.terminate();
            else b.ping();
          }
        }, heartbeatMs)
      : null;
  heartbeat?.unref();

  if (ownServer) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  return {
    get url() {
      const a = server.address() as AddressInfo | null;
      if (!a || typeof a === 'string') return `ws://127.0.0.1${path}`;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `ws://${host}:${a.port}${path}`;
    },
    get connections() {
      return bridges.size;
    },
    events$: events.asObservable(),
    async close() {
      if (closing) return;
      closing = true;
      if (heartbeat) clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      await Promise.all([...bridges].map((b) => b.close(1001, 'relay closing')));
      wss.close();
      if (ownServer) {
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      events.complete();
    },
  };
}

function bearer(req: http.IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

async function checkToken(expected: RelayOptions['token'], presented: string | null, req: http.IncomingMessage): Promise<boolean> {
  if (!presented) return false;
  if (typeof expected === 'function') {
    try {
      return (await expected(presented, req)) === true;
    } catch {
      return false;
    }
  }
  // Equal-length digests, compared in constant time: the comparison tells nothing of the token.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function refuseHttp(socket: Duplex, status: number, reason: string): void {
  const body = `codex-rx relay: ${reason}\n`;
  const auth = status === 401 ? 'WWW-Authenticate: Bearer realm="codex-rx relay"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${auth}\r\n${body}`,
  );
}
