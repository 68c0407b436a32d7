import type { Observable, SchedulerLike } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import { backoffDelay, ReconnectOptions, reconnectOf } from './backoff';
import { redactUrl } from './redact';
import { SocketLink, SocketLinkSettings, TlsOptions } from './socket-link';
import type { Diagnostic } from '../models';
import type { LinkEvent, OutboundHandle, Transport } from './transport';
import { LinkLifecycle, linkBounds, periodOf } from './transport-base';

export type { TlsOptions } from './socket-link';
export type { ReconnectOptions } from './backoff';

/** Options of the WebSocket transport. */
export interface WebSocketTransportOptions extends TlsOptions {
  /** Server URL. Default `CODEX_APP_SERVER_WS_URL`, else `ws://127.0.0.1:8765`. */
  url?: string;
  /** Bearer token, sent as `Authorization: Bearer <token>`. Default `CODEX_APP_SERVER_TOKEN`. */
  token?: string;
  /** Extra headers of the upgrade request. */
  headers?: Record<string, string>;
  /** How long `start()` waits for the handshake. Default 30,000 ms. */
  connectTimeoutMs?: number;
  /** Clock of the connect and close waits. Default `asyncScheduler` (the client passes its own). */
  scheduler?: SchedulerLike;
  /**
   * Longest inbound message accepted, in bytes (ws's `maxPayload`). WebSocket cannot skip one
   * message and go on: a longer one is refused before it is buffered, reported as an
   * `oversized-frame` diagnostic, and the link closes (code 1009). Default 64 MiB.
   */
  maxFrameBytes?: number;
  /**
   * A server that takes nothing of what is sent for this long has stopped reading: the link fails
   * with `CodexTransportError` code `unresponsive`. `null`: never. Default 30,000 ms.
   */
  writeStallTimeoutMs?: number | null;
  /**
   * Redial a dropped link (never one whose credentials were refused), with jittered exponential
   * backoff (`true`: the defaults, riding out an outage of minutes), and resume the running turns
   * on the new link. Default off: a drop fails the connection (`disconnected`).
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * A WebSocket ping this often; no pong (nor any message) before the next ping means a half-open
   * link, dropped as `unresponsive` (and redialed with `reconnect`). `null`: none (`0` too, but
   * deprecated: off is `null` in every option). Default 30,000 ms.
   */
  heartbeatMs?: number | null;
}

/**
 * Speaks JSON-RPC to `codex app-server --listen ws://...` (or `unix://`), one JSON text per
 * WebSocket message. With `reconnect`, a dropped link (not refused credentials) is redialed with
 * jittered exponential backoff, and `links$` tells the client, which resumes its running turns on
 * the new link; without it a drop ends `messages$` (`disconnected`). A heartbeat notices a
 * half-open link. URLs in errors have their credentials and secret query values hidden.
 */
export class WebSocketTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  readonly links$: Observable<LinkEvent>;
  /** The server URL, credentials hidden. */
  readonly url: string;
  private readonly life = new LinkLifecycle<SocketLink>(() => `WebSocket ${this.url}: transport is closed`);
  private readonly settings: SocketLinkSettings;
  private readonly backoff: Required<ReconnectOptions> | null;

  /**
   * Settles the dial without connecting (that is `start()`): `url`, else `CODEX_APP_SERVER_WS_URL`,
   * else `ws://127.0.0.1:8765`; the token (else `CODEX_APP_SERVER_TOKEN`) goes as a bearer header.
   */
  constructor(options: WebSocketTransportOptions = {}) {
    const url = options.url ?? process.env.CODEX_APP_SERVER_WS_URL ?? DEFAULTS.webSocketUrl;
    const token = options.token ?? process.env.CODEX_APP_SERVER_TOKEN;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    const { ca, cert, key, passphrase, rejectUnauthorized, servername } = options;
    this.url = redactUrl(url);
    this.settings = {
      url,
      shownUrl: this.url,
      headers,
      tls: dropUndefined({ ca, cert, key, passphrase, rejectUnauthorized, servername }),
      ...linkBounds(options),
      heartbeatMs: periodOf(options.heartbeatMs, DEFAULTS.heartbeatMs),
    };
    this.backoff = reconnectOf(options.reconnect);
    this.messages$ = this.life.messages.observable;
    this.diagnostics$ = this.life.diagnostics.asObservable();
    this.links$ = this.life.links.asObservable();
  }

  start(): Promise<void> {
    return this.life.start(async () => void (this.life.link = await this.dial()));
  }

  /** One link; its end goes to `linkEnded` (unless a newer link replaced it). */
  private dial(): Promise<SocketLink> {
    return this.life.openLink(
      (events) => SocketLink.dial(this.settings, events),
      (err) => this.linkEnded(err),
    );
  }

  private linkEnded(err: CodexTransportError | null): void {
    this.life.link = null;
    if (this.life.closing || !err || !this.backoff || err.code === 'auth-failed') {
      this.life.finish(this.life.closing ? null : err);
      return;
    }
    this.life.links.next({ type: 'down', error: err, resumable: true });
    this.retry(1, this.settings.scheduler.now(), err);
  }

  /** Attempt `attempt` of a redial after the drop at `since`; gives up past the backoff's limits. */
  private retry(attempt: number, since: number, last: CodexTransportError): void {
    const b = this.backoff!;
    const elapsed = this.settings.scheduler.now() - since;
    if (attempt > b.maxAttempts || elapsed >= b.giveUpAfterMs) {
      this.life.finish(
        new CodexTransportError(
          `WebSocket ${this.url}: gave up reconnecting after ${attempt - 1} attempts in ${elapsed} ms (last: ${last.message})`,
          {
            code: 'restart-failed',
            cause: last,
          },
        ),
      );
      return;
    }
    const delayMs = backoffDelay(b, attempt);
    this.life.links.next({ type: 'retrying', attempt, delayMs });
    this.life.retrying = this.settings.scheduler.schedule(() => {
      this.life.retrying = null;
      this.dial().then(
        (link) => {
          if (this.life.closing) {
            void link.close();
            return;
          }
          this.life.link = link;
          this.life.links.next({ type: 'up' });
        },
        (err: CodexTransportError) => {
          if (this.life.closing) return;
          // Refused credentials will not get better: stop, and say why.
          if (err.code === 'auth-failed') this.life.finish(err);
          else this.retry(attempt + 1, since, err);
        },
      );
    }, delayMs);
  }

  send(message: string): OutboundHandle {
    if (!this.life.link) {
      throw new CodexTransportError(`WebSocket ${this.url} is not connected`, {
        code: this.life.startPromise ? 'disconnected' : 'not-started',
      });
    }
    return this.life.link.send(message);
  }

  async close(): Promise<void> {
    this.life.closing = true;
    this.life.retrying?.unsubscribe();
    // A dial waiting for its upgrade ends now (not after connectTimeoutMs).
    const dialing = this.life.opening;
    dialing?.abort();
    if (!this.life.link && this.life.startPromise) await this.life.startPromise.catch(() => undefined);
    // A redial upgraded just as close() began: its link is closed before close() resolves too.
    const late = await dialing?.started.catch(() => null);
    await Promise.all([this.life.link?.close(), late && late !== this.life.link ? late.close() : undefined]);
    this.life.finish(null);
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
