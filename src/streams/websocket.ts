import { asyncScheduler, Observable, SchedulerLike, Subject } from 'rxjs';
import { DEFAULTS } from '../defaults';
import WebSocket from 'ws';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { parseFrameText } from './frame-text';
import type { Transport } from './transport';

/** Options of the WebSocket transport. */
export interface WebSocketTransportOptions {
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
}

/** Speaks JSON-RPC to `codex app-server --listen ws://...`, one JSON text per WebSocket message. */
export class WebSocketTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  private readonly messages = new Subject<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private socket: WebSocket | null = null;
  private startPromise: Promise<void> | null = null;
  private closing = false;
  readonly url: string;
  private readonly scheduler: SchedulerLike;

  constructor(private readonly options: WebSocketTransportOptions = {}) {
    this.url = options.url ?? process.env.CODEX_APP_SERVER_WS_URL ?? DEFAULTS.webSocketUrl;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.messages$ = this.messages.asObservable();
    this.diagnostics$ = this.diagnostics.asObservable();
  }

  start(): Promise<void> {
    return (this.startPromise ??= this.connect());
  }

  private connect(): Promise<void> {
    const token = this.options.token ?? process.env.CODEX_APP_SERVER_TOKEN;
    const headers: Record<string, string> = { ...this.options.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      let open = false;
      const maxPayload = this.options.maxFrameBytes ?? DEFAULTS.maxFrameBytes;
      const socket = new WebSocket(this.url, { headers, perMessageDeflate: false, maxPayload });
      this.socket = socket;
      const fail = (err: CodexTransportError) => {
        timer.unsubscribe();
        if (!open) reject(err);
        socket.terminate();
      };
      // ws's own handshakeTimeout does not cover a server that accepts TCP and then stays silent
      // before answering the upgrade in every version; keep our own timer.
      const timer = this.scheduler.schedule(
        () => fail(new CodexTransportError(`WebSocket ${this.url}: no handshake within ${timeoutMs} ms`, { code: 'connect-failed' })),
        timeoutMs,
      );
      socket.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        const auth = status === 401 || status === 403;
        res.resume();
        fail(
          new CodexTransportError(`WebSocket ${this.url}: upgrade refused with HTTP ${status}${auth ? ' (check the token)' : ''}`, {
            code: auth ? 'auth-failed' : 'connect-failed',
          }),
        );
      });
      socket.on('open', () => {
        open = true;
        timer.unsubscribe();
        resolve();
      });
      socket.on('message', (data, isBinary) => {
        const text = isBinary || !Array.isArray(data) ? data.toString() : Buffer.concat(data).toString('utf8');
        this.messages.next(parseFrameText(text));
      });
      socket.on('error', (err) => {
        if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          this.diagnostics.next({
            kind: 'oversized-frame',
            message: `inbound WebSocket message exceeds maxFrameBytes (${maxPayload}); the link closes`,
            error: err,
          });
        }
        if (!open) fail(new CodexTransportError(`WebSocket ${this.url}: ${err.message}`, { code: 'connect-failed', cause: err }));
      });
      socket.on('close', (code, reason) => {
        timer.unsubscribe();
        if (!open) {
          reject(new CodexTransportError(`WebSocket ${this.url}: closed before the handshake (code ${code})`, { code: 'connect-failed' }));
        } else if (this.closing) {
          this.messages.complete();
        } else {
          const why = reason.length ? `: ${reason.toString()}` : '';
          this.messages.error(new CodexTransportError(`WebSocket ${this.url} closed (code ${code}${why})`, { code: 'disconnected' }));
        }
        this.diagnostics.complete();
      });
    });
  }

  send(message: string): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      throw new CodexTransportError(`WebSocket ${this.url} is not connected`, { code: socket ? 'disconnected' : 'not-started' });
    }
    socket.send(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) {
      this.messages.complete();
      this.diagnostics.complete();
      return;
    }
    await new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CONNECTING) {
        socket.once('close', () => resolve());
        socket.terminate();
        return;
      }
      // A peer that never answers the close frame must not hold us.
      const terminate = this.scheduler.schedule(() => socket.terminate(), 1_000);
      socket.once('close', () => {
        terminate.unsubscribe();
        resolve();
      });
      socket.close(1000);
    });
  }
}
