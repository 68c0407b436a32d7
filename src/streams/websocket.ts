import { asyncScheduler, Observable, SchedulerLike, Subject } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { redactUrl } from './redact';
import { SocketLink, SocketLinkSettings, TlsOptions } from './socket-link';
import type { OutboundHandle, Transport } from './transport';

export type { TlsOptions } from './socket-link';

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
}

/**
 * Speaks JSON-RPC to `codex app-server --listen ws://...`, one JSON text per WebSocket message.
 * URLs in errors and diagnostics have their credentials and secret query values hidden.
 */
export class WebSocketTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  /** The server URL, credentials hidden. */
  readonly url: string;
  private readonly messages = new Subject<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly settings: SocketLinkSettings;
  private link: SocketLink | null = null;
  private startPromise: Promise<void> | null = null;
  private closing = false;

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
      scheduler: options.scheduler ?? asyncScheduler,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      writeStallTimeoutMs: options.writeStallTimeoutMs === undefined ? DEFAULTS.writeStallTimeoutMs : options.writeStallTimeoutMs,
      maxQueuedBytes: DEFAULTS.maxQueuedBytes,
    };
    this.messages$ = this.messages.asObservable();
    this.diagnostics$ = this.diagnostics.asObservable();
  }

  start(): Promise<void> {
    return (this.startPromise ??= this.connect());
  }

  private async connect(): Promise<void> {
    this.link = await SocketLink.dial(this.settings, {
      message: (value) => this.messages.next(value),
      diagnostic: (d) => this.diagnostics.next(d),
      end: (err) => {
        if (err && !this.closing) this.messages.error(err);
        else this.messages.complete();
        this.diagnostics.complete();
      },
    });
  }

  send(message: string): OutboundHandle {
    if (!this.link) throw new CodexTransportError(`WebSocket ${this.url} is not connected`, { code: 'not-started' });
    return this.link.send(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.link && this.startPromise) await this.startPromise.catch(() => undefined);
    await this.link?.close();
    this.messages.complete();
    this.diagnostics.complete();
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
