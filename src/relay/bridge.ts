/**
 * One relayed connection: a browser's WebSocket bridged to its own app-server `Transport`. The
 * relay only moves frames; the client in the browser does the protocol (handshake, approvals). The
 * bridge answers only what the browser no longer can: server requests still pending when the
 * browser goes away (so a shared app-server does not wait on them), before it closes the upstream.
 */
import { Subscription } from 'rxjs';
import WebSocket from 'ws';
import type { Diagnostic } from '../models';
import { isApprovalMethod } from '../protocol/approvals';
import type { JsonRpcId } from '../protocol/messages';
import { frameText, InvalidLine, OversizedFrame, parseFrameText } from '../streams/frame-text';
import type { Transport } from '../streams/transport';
import { RELAY_READY_MESSAGE, RelayCloseCode, relayOversizedMessage } from './protocol';

/** What the bridge tells the relay. */
export interface BridgeHooks {
  diagnostic(diagnostic: Diagnostic): void;
  /** The bridge is over: both sides are closed (the upstream process, if any, has exited). */
  ended(info: { code: number; reason: string; answeredByRelay: number }): void;
}

/** Most browser messages held while the app-server starts (the client sends nothing before ready). */
const MAX_EARLY_MESSAGES = 64;

export class Bridge {
  /** Cleared by each ping, set by each pong: a browser that misses a whole period is gone. */
  alive = true;
  private readonly pending = new Map<JsonRpcId, string>();
  private readonly early: string[] = [];
  private readonly subscription = new Subscription();
  private up = false;
  private done = false;
  private answered = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly upstream: Transport,
    private readonly hooks: BridgeHooks,
  ) {}

  /** Starts the upstream, then tells the browser it is ready. */
  async open(): Promise<void> {
    const { ws, upstream } = this;
    this.subscription.add(
      upstream.messages$.subscribe({
        next: (value) => this.fromServer(value),
        error: (err: Error) => void this.finish(RelayCloseCode.upstreamFailed, `app-server: ${err.message}`),
        complete: () => void this.finish(RelayCloseCode.upstreamFailed, 'app-server closed the connection'),
      }),
    );
    this.subscription.add(upstream.diagnostics$.subscribe((d) => this.hooks.diagnostic(d)));
    ws.on('message', (data, isBinary) => this.fromBrowser(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', (code, reason) => void this.finish(code, reason.toString() || 'browser closed the connection'));
    try {
      await upstream.start();
    } catch (err) {
      await this.finish(RelayCloseCode.upstreamFailed, `app-server did not start: ${(err as Error).message}`);
      return;
    }
    if (this.done) return;
    this.up = true;
    ws.send(RELAY_READY_MESSAGE);
    for (const text of this.early.splice(0)) this.toServer(text);
  }

  /** Ends the bridge from the relay's side (relay closing, heartbeat missed). */
  close(code: number, reason: string): Promise<void> {
    return this.finish(code, reason);
  }

  /** Drops a browser that stopped answering pings (no close frame will come). */
  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  private fromServer(value: unknown): void {
    if (value instanceof InvalidLine) {
      this.hooks.diagnostic({
        kind: 'invalid-json',
        message: `app-server sent a line that is not JSON: ${value.reason}`,
        detail: value.line,
      });
      return;
    }
    if (value instanceof OversizedFrame) {
      const { head, bytes, maxFrameBytes } = value;
      this.hooks.diagnostic({
        kind: 'oversized-frame',
        message: `app-server sent a frame of ${bytes} bytes, over maxFrameBytes (${maxFrameBytes}); discarded`,
        detail: head,
      });
      // Told, the client fails the request this answered at once instead of at its timeout.
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(relayOversizedMessage({ head, bytes, maxFrameBytes }));
      return;
    }
    const frame = value as { id?: JsonRpcId; method?: unknown };
    const id = frame?.id;
    const isRequest = typeof frame?.method === 'string' && (typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint');
    if (isRequest) this.pending.set(id!, frame.method as string);
    if (this.ws.readyState !== WebSocket.OPEN) {
      if (isRequest) this.answerForBrowser(id!);
      return;
    }
    let text: string;
    try {
      // frameText writes an id beyond 2^53 (a bigint) exactly; anything else that throws must not
      // escape this observer: as an uncaught exception it would end the relay, every connection.
      text = frameText(value as object);
    } catch (err) {
      this.hooks.diagnostic({ kind: 'invalid-frame', message: `app-server frame not relayed: ${(err as Error).message}`, detail: value });
      return;
    }
    this.ws.send(text);
  }

  private fromBrowser(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      void this.finish(1003, 'frames are JSON text');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    this.noteAnswer(text);
    if (this.up) this.toServer(text);
    else if (this.early.length < MAX_EARLY_MESSAGES) this.early.push(text);
    else void this.finish(1008, 'too many messages before ready');
  }

  private toServer(text: string): void {
    try {
      this.upstream.send(text);
    } catch (err) {
      void this.finish(RelayCloseCode.upstreamFailed, `app-server: ${(err as Error).message}`);
    }
  }

  /** A browser answer to a server request: no longer the relay's to answer. */
  private noteAnswer(text: string): void {
    if (this.pending.size === 0) return;
    // Parsed as the app-server's frames are, so that an id beyond 2^53 matches its request's (not
    // JSON: the app-server will say so).
    const v = parseFrameText(text) as { id?: JsonRpcId; method?: unknown } | InvalidLine | null;
    if (v && !(v instanceof InvalidLine) && v.method === undefined && v.id !== undefined) this.pending.delete(v.id);
  }

  /** Answers a server request the browser can no longer answer: approvals are declined, the rest refused. */
  private answerForBrowser(id: JsonRpcId): void {
    const method = this.pending.get(id);
    if (method === undefined) return;
    this.pending.delete(id);
    this.answered++;
    const reply = isApprovalMethod(method)
      ? { id, result: { decision: 'decline' } }
      : { id, error: { code: -32000, message: 'codex-rx relay: the browser client went away' } };
    try {
      this.upstream.send(frameText(reply));
    } catch {
      /* the app-server is gone too */
    }
  }

  private async finish(code: number, reason: string): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const id of [...this.pending.keys()]) this.answerForBrowser(id);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      // Codes only a peer may report (1005, 1006, 1015) cannot be sent.
      const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
      this.ws.close(sendable ? code : 1000, truncateReason(reason));
    }
    this.subscription.unsubscribe();
    await this.upstream.close().catch(() => undefined);
    this.hooks.ended({ code, reason, answeredByRelay: this.answered });
  }
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let r = reason;
  while (Buffer.byteLength(r) > 120) r = r.slice(0, -1);
  return r + '…';
}
