import { type Observable, type SchedulerLike, Subscription } from 'rxjs';
import { CodexTransportError } from '../errors';
import { isRelayReady, RELAY_PROTOCOL, RELAY_TOKEN_PATTERN, RELAY_TOKEN_PREFIX, RelayCloseCode, relayOversized } from '../relay/protocol';
import { OversizedFrame, parseFrameText } from './frame-text';
import type { Transport } from './transport';
import type { Diagnostic } from '../models';
import { type LinkBounds, linkBounds, TransportLifecycle } from './transport-base';
import { redactUrl } from './redact';

/**
 * The part of the WebSocket API the relay transport uses: the browser's, or `ws`'s on Node. (Event
 * parameters are loose so that both classes fit as they are.)
 */
export interface WebSocketLike {
  /** The standard ready state: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server selected (the relay's, once open). */
  readonly protocol: string;
  /** Called once the socket is open. */
  onopen: ((event: any) => void) | null;
  /** `event.data`: a string for text messages. */
  onmessage: ((event: any) => void) | null;
  /** Called when the socket fails (a `close` follows). */
  onerror: ((event: any) => void) | null;
  /** `event.code`, `event.reason`. */
  onclose: ((event: any) => void) | null;
  /** Sends one text message. */
  send(data: string): void;
  /** Starts the closing handshake, with an optional close code and reason. */
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** Options of `RelayTransport`. */
export interface RelayTransportOptions {
  /**
   * The relay: a `ws://` or `wss://` URL, or an `http(s)://` URL or a path (`/codex`) resolved
   * against the page's address.
   */
  url: string;
  /** The relay's token: letters, digits, `.`, `_`, `~`, `-` (base64url fits). */
  token: string;
  /** How long `start()` waits for the relay to report its app-server up. Default 30,000 ms. */
  connectTimeoutMs?: number;
  /** The WebSocket class. Default: the global one (browsers, Deno, Node 22+); pass `ws`'s on Node 20. */
  WebSocket?: WebSocketConstructor;
  /**
   * Longest inbound message accepted, in characters. A browser WebSocket hands over a message only
   * whole, so a longer one is not parsed (no object graph is built from it): it is discarded and
   * reported as an `oversized-frame` diagnostic, a response among them fails its request at once,
   * and the link stays up. Default 64 MiB.
   */
  maxFrameBytes?: number;
  /** The clock of the connect deadline and the close wait. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const CLOSED = 3;
/** How long `close()` waits for the relay's side of the closing handshake. */
const CLOSE_WAIT_MS = 2_000;

/**
 * A browser-safe `Transport`: a WebSocket to a codex-rx relay (`codex-rx/relay` on your backend),
 * which bridges it to one app-server. The app-server itself refuses browser WebSockets (it rejects
 * any `Origin`), hence the relay.
 *
 * `start()` rejects with `CodexTransportError` code `auth-failed` when the relay refuses the token
 * or the page's Origin, `connect-failed` when it cannot be reached or its app-server does not start.
 * Afterwards `messages$` errors with `disconnected` when the link drops, `exited` when the relay's
 * app-server exits.
 */
export class RelayTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  /** The relay's WebSocket URL, credentials and secret query values hidden (as in every message). */
  readonly url: string;
  /** The URL dialed. */
  private readonly target: string;
  /** The clock of the connect deadline and the close wait, and the frame bound. */
  private readonly bounds: LinkBounds;
  private readonly life = new TransportLifecycle(() => `relay ${this.url}: transport is closed`);
  private socket: WebSocketLike | null = null;
  private ready = false;
  private onEnded: (() => void) | null = null;

  /** Checks the options without connecting (that is `start()`); throws a `TypeError` for a token of other characters. */
  constructor(private readonly options: RelayTransportOptions) {
    if (!RELAY_TOKEN_PATTERN.test(options.token ?? '')) {
      throw new TypeError('RelayTransport: the token must be letters, digits, ".", "_", "~" or "-" (e.g. base64url)');
    }
    this.target = relayUrl(options.url);
    this.url = redactUrl(this.target);
    this.bounds = linkBounds(options);
    this.messages$ = this.life.messages.observable;
    this.diagnostics$ = this.life.diagnostics.asObservable();
  }

  start(): Promise<void> {
    return this.life.start(() => this.connect());
  }

  private connect(): Promise<void> {
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      const err = new CodexTransportError('RelayTransport: no WebSocket class here; pass options.WebSocket', { code: 'connect-failed' });
      return Promise.reject(err);
    }
    const { scheduler, connectTimeoutMs: timeoutMs, maxFrameBytes } = this.bounds;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = new Subscription();
      const settle = (err?: CodexTransportError) => {
        if (settled) return;
        settled = true;
        timer.unsubscribe();
        if (err) reject(err);
        else resolve();
      };
      let socket: WebSocketLike;
      try {
        socket = new Ctor(this.target, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + this.options.token]);
      } catch (err) {
        // The WebSocket's own message (and the error itself) holds the URL as given: not kept.
        const why = (err as Error)?.name === 'SyntaxError' ? 'not a valid URL' : 'cannot open a WebSocket';
        settle(new CodexTransportError(`relay ${this.url}: ${why}`, { code: 'connect-failed' }));
        return;
      }
      this.socket = socket;
      timer.add(
        scheduler.schedule(() => {
          settle(new CodexTransportError(`relay ${this.url}: not ready within ${timeoutMs} ms`, { code: 'connect-failed' }));
          socket.close();
        }, timeoutMs),
      );

      socket.onopen = () => {
        if (socket.protocol === RELAY_PROTOCOL) return;
        settle(
          new CodexTransportError(`relay ${this.url}: the server is no codex-rx relay (subprotocol '${socket.protocol}')`, {
            code: 'connect-failed',
          }),
        );
        socket.close(1002);
      };
      socket.onmessage = ({ data }: { data: unknown }) => {
        const text = typeof data === 'string' ? data : null;
        if (!this.ready) {
          if (text !== null && isRelayReady(text)) {
            this.ready = true;
            settle();
          } else {
            settle(
              new CodexTransportError(`relay ${this.url}: the first message is not the relay's ready message`, { code: 'connect-failed' }),
            );
            socket.close(1002);
          }
          return;
        }
        if (text === null) {
          this.life.diagnostics.next({ kind: 'invalid-frame', message: 'relay sent a binary message; frames are JSON text' });
          return;
        }
        if (text.length > maxFrameBytes) {
          this.life.messages.next(new OversizedFrame(text.slice(0, 1000), text.length, maxFrameBytes));
          return;
        }
        const value = parseFrameText(text);
        // One the relay discarded (over its own limit) is reported as one we discarded.
        const discarded = relayOversized(value);
        this.life.messages.next(discarded ? new OversizedFrame(discarded.head, discarded.bytes, discarded.maxFrameBytes) : value);
      };
      // The close event that always follows says what happened.
      socket.onerror = () => undefined;
      socket.onclose = ({ code, reason }: { code: number; reason: string }) => {
        if (!this.ready)
          settle(
            this.life.closing
              ? new CodexTransportError(`relay ${this.url}: closed while connecting`, { code: 'closed' })
              : this.refusal(code, reason),
          );
        if (this.life.closing || !this.ready) this.life.finish(null);
        else {
          const why = reason ? `: ${reason}` : '';
          const exited = code === RelayCloseCode.upstreamFailed;
          this.life.finish(
            new CodexTransportError(`relay ${this.url} closed (code ${code}${why})`, { code: exited ? 'exited' : 'disconnected' }),
          );
        }
        this.onEnded?.();
      };
    });
  }

  /** The error for a link that closed before the relay said ready. */
  private refusal(code: number, reason: string): CodexTransportError {
    const why = reason ? `: ${reason}` : '';
    if (code === RelayCloseCode.unauthorized || code === RelayCloseCode.forbidden) {
      const what = code === RelayCloseCode.unauthorized ? 'the token' : "this page's origin";
      return new CodexTransportError(`relay ${this.url} refused ${what} (code ${code}${why})`, { code: 'auth-failed' });
    }
    // 1006 and no reason: the upgrade failed (relay down, wrong path, or a refusal we cannot see).
    return new CodexTransportError(`relay ${this.url}: cannot connect (code ${code}${why})`, { code: 'connect-failed' });
  }

  send(message: string): void {
    const socket = this.socket;
    if (!socket || !this.ready || socket.readyState !== 1) {
      throw new CodexTransportError(`relay ${this.url} is not connected`, { code: this.ready ? 'disconnected' : 'not-started' });
    }
    socket.send(message);
  }

  async close(): Promise<void> {
    this.life.closing = true;
    const socket = this.socket;
    if (!socket || this.life.finished || socket.readyState === CLOSED) {
      this.life.finish(null);
      return;
    }
    await new Promise<void>((resolve) => {
      // A peer that never completes the closing handshake must not hold us.
      const timer = this.bounds.scheduler.schedule(() => {
        this.life.finish(null);
        resolve();
      }, CLOSE_WAIT_MS);
      this.onEnded = () => {
        timer.unsubscribe();
        resolve();
      };
      socket.close(1000);
    });
  }
}

/** The relay's WebSocket URL: `ws(s)://` as is, `http(s)://` and paths mapped to it. */
function relayUrl(url: string): string {
  if (/^wss?:\/\//i.test(url)) return url;
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (!/^https?:\/\//i.test(url) && !base)
    throw new TypeError(`RelayTransport: '${redactUrl(url)}' is relative and there is no page to resolve it against`);
  const resolved = new URL(url, base);
  resolved.protocol = resolved.protocol === 'https:' ? 'wss:' : 'ws:';
  return resolved.href;
}
