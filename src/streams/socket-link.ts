import type { SchedulerAction, Subscription } from 'rxjs';
import WebSocket from 'ws';
import { CodexTransportError } from '../errors';
import { parseFrameText } from './frame-text';
import { OutboundQueue } from './outbound-queue';
import type { OutboundHandle } from './transport';
import type { LinkBounds, LinkEvents, Opening } from './transport-base';

/** TLS settings passed to `ws` for `wss://` (and mutual TLS). */
export interface TlsOptions {
  /** Certificate authorities to trust (PEM), e.g. a private CA; replaces Node's default list. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM), for servers that ask for one. */
  cert?: string | Buffer | Array<string | Buffer>;
  /** Client private key (PEM). */
  key?: string | Buffer | Array<string | Buffer>;
  /** Passphrase of `key`. */
  passphrase?: string;
  /** Verify the server's certificate against `ca` (or Node's list). Default true; false only for tests. */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and the certificate check, when the URL's host is not it. */
  servername?: string;
}

/** How one WebSocket link is dialed and kept (all resolved). */
export interface SocketLinkSettings extends LinkBounds {
  /** The URL dialed (`ws://`, `wss://`, or `ws+unix://PATH:/`). */
  readonly url: string;
  /** The URL as messages show it (credentials and secret query values hidden). */
  readonly shownUrl: string;
  readonly headers: Record<string, string>;
  readonly tls: TlsOptions;
  /** A ping this often; no pong (nor any message) before the next one drops the link. Null: none. */
  readonly heartbeatMs: number | null;
}

/** Bytes handed to ws and not yet written out, past which frames wait in the queue. */
const HIGH_WATER = 1024 * 1024;

/** One WebSocket connection to an app-server: dialed, used, and ended once. */
export class SocketLink {
  private readonly queue: OutboundQueue;
  private outstanding = 0;
  private ended = false;
  private closing = false;
  private heartbeat: Subscription | null = null;
  /** A ping went out and nothing came back since. */
  private awaitingPong = false;

  private constructor(
    private readonly socket: WebSocket,
    private readonly settings: SocketLinkSettings,
    private readonly events: LinkEvents,
  ) {
    const full = () => this.outstanding >= HIGH_WATER;
    this.queue = new OutboundQueue(
      {
        write: (text) => {
          this.outstanding += text.length;
          socket.send(text, (err) => {
            this.outstanding -= text.length;
            if (!err) this.queue.drained();
          });
          return !full();
        },
        get full() {
          return full();
        },
      },
      { stallTimeoutMs: settings.writeStallTimeoutMs, maxQueuedBytes: settings.maxQueuedBytes },
      settings.scheduler,
      (err) => this.drop(err),
    );
  }

  /**
   * Dials; `started` resolves once the upgrade succeeded. It rejects with `CodexTransportError`:
   * `auth-failed` for HTTP 401/403, `connect-failed` for anything else (refused, no handshake in
   * time, TLS failure), `closed` when aborted.
   */
  static dial(settings: SocketLinkSettings, events: LinkEvents): Opening<SocketLink> {
    const { shownUrl, connectTimeoutMs } = settings;
    let abort = () => {};
    const dialed = new Promise<SocketLink>((resolve, reject) => {
      let open = false;
      let socket: WebSocket;
      try {
        socket = new WebSocket(settings.url, {
          ...settings.tls,
          headers: settings.headers,
          perMessageDeflate: false,
          maxPayload: settings.maxFrameBytes,
        });
      } catch (err) {
        // ws's message (and the error itself) holds the URL as given, credentials and all: not kept.
        const why =
          (err as Error)?.name === 'SyntaxError' ? 'not a valid WebSocket URL' : redactMessage(String((err as Error)?.message), settings);
        reject(new CodexTransportError(`WebSocket ${shownUrl}: ${why}`, { code: 'connect-failed' }));
        return;
      }
      const link = new SocketLink(socket, settings, events);
      const fail = (err: CodexTransportError) => {
        timer.unsubscribe();
        if (!open) reject(err);
        socket.terminate();
      };
      // ws's own handshakeTimeout does not cover a server that accepts TCP and then stays silent
      // before answering the upgrade in every version; keep our own timer.
      const timer = settings.scheduler.schedule(
        () =>
          fail(new CodexTransportError(`WebSocket ${shownUrl}: no handshake within ${connectTimeoutMs} ms`, { code: 'connect-failed' })),
        connectTimeoutMs,
      );
      // A server that accepted TCP and never answers the upgrade must not hold a closing client.
      abort = () => {
        if (!open) fail(new CodexTransportError(`WebSocket ${shownUrl}: closed by the client while connecting`, { code: 'closed' }));
      };
      socket.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        const auth = status === 401 || status === 403;
        res.resume();
        fail(
          new CodexTransportError(`WebSocket ${shownUrl}: upgrade refused with HTTP ${status}${auth ? ' (check the token)' : ''}`, {
            code: auth ? 'auth-failed' : 'connect-failed',
          }),
        );
      });
      socket.on('open', () => {
        open = true;
        timer.unsubscribe();
        link.startHeartbeat();
        resolve(link);
      });
      socket.on('pong', () => (link.awaitingPong = false));
      socket.on('message', (data, isBinary) => {
        link.awaitingPong = false;
        const text = isBinary || !Array.isArray(data) ? data.toString() : Buffer.concat(data).toString('utf8');
        events.message(parseFrameText(text));
      });
      socket.on('error', (err) => {
        if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          events.diagnostic({
            kind: 'oversized-frame',
            message: `inbound WebSocket message exceeds maxFrameBytes (${settings.maxFrameBytes}); the link closes`,
            error: err,
          });
        }
        if (!open)
          fail(new CodexTransportError(`WebSocket ${shownUrl}: ${redactMessage(err.message, settings)}`, { code: 'connect-failed' }));
      });
      socket.on('close', (code, reason) => {
        timer.unsubscribe();
        link.queue.clear();
        if (!open) {
          reject(new CodexTransportError(`WebSocket ${shownUrl}: closed before the handshake (code ${code})`, { code: 'connect-failed' }));
          return;
        }
        const why = reason.length ? `: ${reason.toString()}` : '';
        link.end(
          link.closing ? null : new CodexTransportError(`WebSocket ${shownUrl} closed (code ${code}${why})`, { code: 'disconnected' }),
        );
      });
    });
    return { started: dialed, abort: () => abort() };
  }

  /** Sends one JSON text; the handle takes it back while it still waits in the queue. */
  send(message: string): OutboundHandle {
    if (this.ended || this.socket.readyState !== WebSocket.OPEN) {
      throw new CodexTransportError(`WebSocket ${this.settings.shownUrl} is not connected`, { code: 'disconnected' });
    }
    return this.queue.push(message);
  }

  /** Closes the link (close frame; terminated after a second without an answer). */
  async close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (socket.readyState === WebSocket.CLOSED) {
      this.end(null);
      return;
    }
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) {
        socket.terminate();
        return;
      }
      // A peer that never answers the close frame must not hold us.
      const terminate = this.settings.scheduler.schedule(() => socket.terminate(), 1_000);
      socket.once('close', () => terminate.unsubscribe());
      socket.close(1000);
    });
    this.end(null);
  }

  /**
   * Pings every `heartbeatMs`. A half-open link (the peer gone without a close, nothing arriving)
   * is noticed when a ping has had no answer by the next one: the link is dropped (`unresponsive`).
   */
  private startHeartbeat(): void {
    const ms = this.settings.heartbeatMs;
    if (ms === null) return;
    const link = this;
    this.heartbeat = this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
      if (link.ended) return;
      if (link.awaitingPong) {
        link.drop(
          new CodexTransportError(`WebSocket ${link.settings.shownUrl}: no answer to a ping within ${ms} ms`, { code: 'unresponsive' }),
        );
        return;
      }
      link.awaitingPong = true;
      link.socket.ping();
      this.schedule(undefined, ms);
    }, ms);
  }

  /** Drops the link at once: the peer is gone or unresponsive. */
  drop(err: CodexTransportError): void {
    this.end(err);
    this.socket.terminate();
  }

  private end(err: CodexTransportError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.heartbeat?.unsubscribe();
    this.queue.clear();
    this.events.end(err);
  }
}

/** Error messages of ws and Node may echo the URL they dialed: show the redacted one. */
function redactMessage(message: string, settings: SocketLinkSettings): string {
  return settings.url === settings.shownUrl ? message : message.split(settings.url).join(settings.shownUrl);
}
