/**
 * `codex-rx/relay` (Node): lets a browser app reach a codex app-server, which refuses browser
 * WebSockets (it rejects any `Origin`). Each accepted browser WebSocket gets its own app-server
 * connection (by default `codex app-server` over stdio), bridged frame by frame under a method
 * policy; the client runs in the browser (`RelayTransport`). The relay admits a browser only with a
 * token and from an allowed Origin, tells the upstream factory who it is, and stops the app-server
 * when the browser goes away.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { asyncScheduler, interval, Observable, SchedulerLike, Subject, Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULTS } from '../defaults';
import type { Diagnostic } from '../models';
import { StdioTransport, type StdioTransportOptions } from '../streams/stdio';
import type { Transport } from '../streams/transport';
import { periodOf } from '../streams/transport-base';
import { Bridge } from './bridge';
import { relayPolicy, type RelayConnection, type RelayIdentity, type RelayPolicy, type RelayPolicyOptions } from './policy';
import { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX, RelayCloseCode } from './protocol';
import { checkTokenShape, identify, type RelayTokens } from './tokens';

/** Options of `startRelay`. Defaults are in `DEFAULTS.relay`. */
export interface RelayOptions {
  /**
   * Who may connect, presented as the WebSocket subprotocol `codex-rx.token.<token>` (browsers,
   * `RelayTransport`) or as `Authorization: Bearer <token>` (other clients): one token (every
   * holder is the user `'default'`), one token per user (`[{ user, token }]`), or a function that
   * returns who a token belongs to. `generateRelayToken()` makes a good one.
   */
  token: RelayTokens;
  /**
   * Origins (`scheme://host[:port]`, as browsers send them) allowed to connect. Browsers always
   * send `Origin`; a request without one (not a browser) is let through to the token check.
   */
  allowedOrigins: readonly string[];
  /** Serve on this HTTP(S) server (upgrades of other paths are left to its other listeners). */
  server?: http.Server;
  /** Without `server`: listen on this port (default 0, any free one) and host (default 127.0.0.1). */
  port?: number;
  /** Without `server`: the address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The URL path of the relay. Default `/codex`. */
  path?: string;
  /**
   * The app-server side of each connection: a factory given who connected (so that each user gets
   * their own `CODEX_HOME` and working directory), or the options of one stdio transport for
   * everybody (default: `codex app-server`, or `CODEX_APP_SERVER_CMD`). With the latter every
   * connection's app-server shares one `CODEX_HOME`, where every thread is visible to every
   * connection: one token is then one user.
   */
  upstream?: StdioTransportOptions | ((connection: RelayConnection) => Transport);
  /**
   * What each browser frame may do before it goes upstream: a policy function, or how to widen the
   * default one (`relayPolicy()`: host-level methods refused, thread settings pinned, no host path
   * outside the roots). See the README's relay section for every decision.
   */
  policy?: RelayPolicy | RelayPolicyOptions;
  /**
   * A browser that answers no ping for this long is dropped (and its app-server stopped); `null` =
   * never (`0` too, but deprecated: off is `null` in every option). Default 30,000 ms.
   */
  heartbeatMs?: number | null;
  /** Largest message accepted from a browser. Default 16 MiB. */
  maxFrameBytes?: number;
  /**
   * The old name of `maxFrameBytes` (which wins when both are given).
   * @deprecated Use `maxFrameBytes`, the frame bound's name in every option; `maxPayloadBytes` goes in the next release.
   */
  maxPayloadBytes?: number;
  /** Most bytes a browser may send before its app-server is ready (about one message); past it, close 1008. Default 16 MiB. */
  maxEarlyBytes?: number;
  /** Most bytes waiting to reach one browser; a browser that lets more pile up is dropped (1013). Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Most connections at once (each runs an app-server). Default 8. */
  maxConnections?: number;
  /** Most sockets at once that have not finished the upgrade (and token check); more are dropped. Default 64. */
  maxPendingUpgrades?: number;
  /** A socket that has not finished the upgrade (and token check) this long after connecting is dropped. Default 10,000 ms. */
  upgradeTimeoutMs?: number;
  /** The clock of the heartbeat and the upgrade deadline. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/** What the relay did, for logs and tests. */
export type RelayEvent =
  | {
      /** A browser's connection was refused before any app-server started. */
      readonly type: 'refused';
      /** 401: no or a wrong token; 403: an origin not in `allowedOrigins`; 503: the relay is full or closing. */
      readonly status: 401 | 403 | 503;
      /** Why, in words (`wrong token`, `origin not allowed`, `too many connections`, ...). */
      readonly reason: string;
      /** The browser's `Origin` header, or null when it sent none. */
      readonly origin: string | null;
    }
  | {
      /** A browser connected and its app-server is starting. */
      readonly type: 'open';
      /** The connection's number, which its later events carry. */
      readonly id: number;
      /** The browser's `Origin` header, or null when it sent none. */
      readonly origin: string | null;
      /** Who connected, as the token identified them (`'default'` for a single shared token). */
      readonly user: string;
    }
  | {
      /** Something worth knowing about a connection that is not the end of it (e.g. its app-server's stderr). */
      readonly type: 'diagnostic';
      /** The connection it concerns. */
      readonly id: number;
      /** What happened. */
      readonly diagnostic: Diagnostic;
    }
  | {
      /** The policy refused a frame of connection `id`; nothing of it went upstream. */
      readonly type: 'denied';
      /** The connection whose frame was refused. */
      readonly id: number;
      /** Who sent it. */
      readonly user: string;
      /** The frame's method, or null for a frame without one (a response). */
      readonly method: string | null;
      /** The policy's reason, as the browser's error answer says it. */
      readonly reason: string;
    }
  | {
      /** The connection is over and its app-server stopped. */
      readonly type: 'closed';
      /** The connection that closed. */
      readonly id: number;
      /** The WebSocket close code. */
      readonly code: number;
      /** The WebSocket close reason. */
      readonly reason: string;
      /** Server requests the relay answered because the browser no longer could (approvals declined, the rest refused). */
      readonly answeredByRelay: number;
    };

/** A running relay (`startRelay`). */
export interface Relay {
  /** `ws://host:port/path` of the relay (of `server` when one was given and listens). */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Sockets that have not finished the upgrade. */
  readonly pendingUpgrades: number;
  /** Hot: what happens, as it happens. Completes on `close()`. */
  readonly events$: Observable<RelayEvent>;
  /**
   * Closes every connection (1001), waits until each one's app-server has exited, and stops
   * listening (not a given `server`). Every call returns the same close.
   */
  close(): Promise<void>;
}

export { generateRelayToken } from './tokens';

/** Starts a relay (see `RelayOptions`); resolves once it listens. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const d = DEFAULTS.relay;
  const path = options.path ?? d.path;
  checkTokenShape(options.token);
  const allowed = new Set(options.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  const scheduler = options.scheduler ?? asyncScheduler;
  const policy = typeof options.policy === 'function' ? options.policy : relayPolicy(options.policy);
  const limits = {
    maxEarlyBytes: options.maxEarlyBytes ?? d.maxEarlyBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
  };
  const maxConnections = options.maxConnections ?? d.maxConnections;
  const maxPending = options.maxPendingUpgrades ?? d.maxPendingUpgrades;
  const upgradeTimeoutMs = options.upgradeTimeoutMs ?? d.upgradeTimeoutMs;
  const events = new Subject<RelayEvent>();
  const bridges = new Set<Bridge>();
  /** Sockets not yet upgraded, each with its deadline. */
  const pending = new Map<Duplex, Subscription>();
  const teardown = new Subscription();
  let seq = 0;
  let closing: Promise<void> | null = null;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxFrameBytes ?? options.maxPayloadBytes ?? d.maxFrameBytes,
    // Select the relay protocol, never the token.
    handleProtocols: (offered) => (offered.has(RELAY_PROTOCOL) ? RELAY_PROTOCOL : false),
  });
  const ownServer = !options.server;
  const server =
    options.server ??
    http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('codex-rx relay: WebSocket only\n');
    });

  const upstream = (connection: RelayConnection): Transport =>
    typeof options.upstream === 'function' ? options.upstream(connection) : new StdioTransport(options.upstream ?? {});

  /** A socket of ours waits for its upgrade, bounded in number and time; false when it was dropped. */
  const watch = (socket: Duplex): boolean => {
    if (pending.has(socket)) return true;
    if (pending.size >= maxPending) {
      socket.destroy();
      return false;
    }
    pending.set(
      socket,
      scheduler.schedule(() => {
        upgraded(socket);
        socket.destroy();
      }, upgradeTimeoutMs),
    );
    socket.once('close', () => upgraded(socket));
    return true;
  };
  /** Done waiting (upgraded, refused or gone): no longer counted, its deadline cancelled. */
  const upgraded = (socket: Duplex) => {
    pending.get(socket)?.unsubscribe();
    pending.delete(socket);
  };

  // Sockets of our own server are watched from the first byte (a client that never sends its upgrade).
  const onConnection = (socket: Socket) => void watch(socket);
  if (ownServer) server.on('connection', onConnection);

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://relay').pathname !== path) {
      if (ownServer) refuseHttp(socket, 404, 'no relay here');
      return;
    }
    if (!watch(socket)) return;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    // Browsers cannot see the status of a refused upgrade: relay clients are told by a close code.
    const refuse = (status: 401 | 403 | 503, closeCode: number, reason: string) => {
      upgraded(socket);
      events.next({ type: 'refused', status, reason, origin });
      if (offered.includes(RELAY_PROTOCOL) && !socket.destroyed) wss.handleUpgrade(req, socket, head, (ws) => ws.close(closeCode, reason));
      else refuseHttp(socket, status, reason);
    };
    if (closing) return refuseHttp(socket, 503, 'relay is closing');
    if (origin !== null && !allowed.has(origin.toLowerCase())) return refuse(403, RelayCloseCode.forbidden, 'origin not allowed');
    const presented = offered.find((p) => p.startsWith(RELAY_TOKEN_PREFIX))?.slice(RELAY_TOKEN_PREFIX.length) ?? bearer(req);
    void identify(options.token, presented, req).then((identity) => {
      // Dropped meanwhile (the upgrade deadline, the relay closing): nothing to answer.
      if (socket.destroyed || closing) return void socket.destroy();
      if (!identity) return refuse(401, RelayCloseCode.unauthorized, presented ? 'wrong token' : 'no token');
      if (bridges.size >= maxConnections) return refuse(503, RelayCloseCode.busy, 'too many connections');
      upgraded(socket);
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, { id: ++seq, identity, request: req, origin }));
    });
  };
  server.on('upgrade', onUpgrade);

  const open = (ws: WebSocket, connection: RelayConnection) => {
    const { id } = connection;
    const user = (connection.identity as RelayIdentity).user;
    let transport: Transport;
    try {
      transport = upstream(connection);
    } catch (err) {
      events.next({
        type: 'diagnostic',
        id,
        diagnostic: { kind: 'transport', message: `upstream factory threw: ${(err as Error)?.message}` },
      });
      ws.close(RelayCloseCode.upstreamFailed, 'app-server did not start');
      return;
    }
    const bridge = new Bridge(ws, transport, connection, policy, limits, {
      diagnostic: (diagnostic) => events.next({ type: 'diagnostic', id, diagnostic }),
      refusedFrame: ({ method, reason }) => events.next({ type: 'denied', id, user, method, reason }),
      ended: (info) => {
        bridges.delete(bridge);
        events.next({ type: 'closed', id, ...info });
      },
    });
    bridges.add(bridge);
    events.next({ type: 'open', id, origin: connection.origin, user });
    void bridge.open();
  };

  const heartbeatMs = periodOf(options.heartbeatMs, d.heartbeatMs);
  if (heartbeatMs !== null) {
    teardown.add(
      interval(heartbeatMs, scheduler).subscribe(() => {
        for (const b of bridges) {
          if (!b.alive) b.terminate();
          else b.ping();
        }
      }),
    );
  }

  if (ownServer) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? d.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  const shutdown = async (): Promise<void> => {
    teardown.unsubscribe();
    server.off('upgrade', onUpgrade);
    server.off('connection', onConnection);
    for (const [socket, deadline] of [...pending]) {
      deadline.unsubscribe();
      socket.destroy();
    }
    await Promise.all([...bridges].map((b) => b.close(1001, 'relay closing')));
    wss.close();
    if (ownServer) {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    events.complete();
  };

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
    get pendingUpgrades() {
      return pending.size;
    },
    events$: events.asObservable(),
    close() {
      return (closing ??= shutdown());
    },
  };
}

function bearer(req: http.IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

function refuseHttp(socket: Duplex, status: number, reason: string): void {
  const body = `codex-rx relay: ${reason}\n`;
  const auth = status === 401 ? 'WWW-Authenticate: Bearer realm="codex-rx relay"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${auth}\r\n${body}`,
  );
}
