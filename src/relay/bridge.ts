/**
 * One relayed connection: a browser's WebSocket bridged to its own app-server `Transport`. The
 * relay moves frames and holds them to its policy; the client in the browser does the protocol
 * (handshake, approvals). Every browser frame is parsed, shown to the policy, and re-serialised
 * before it goes upstream, so the app-server sees exactly what the policy saw. The bridge answers
 * only what the browser no longer can: server requests still pending when the browser goes away
 * (so a shared app-server does not wait on them), before it closes the upstream.
 */
import { Subscription } from 'rxjs';
import WebSocket from 'ws';
import type { Diagnostic } from '../models';
import { isApprovalMethod } from '../protocol/approvals';
import type { JsonRpcId } from '../protocol/messages';
import { frameText, InvalidLine, OversizedFrame, parseFrameText } from '../streams/frame-text';
import type { Transport } from '../streams/transport';
import { RELAY_REFUSED_CODE, type RelayConnection, type RelayDecision, type RelayFrame, type RelayPolicy } from './policy';
import { RELAY_READY_MESSAGE, RelayCloseCode, relayOversizedMessage } from './protocol';

/** What the bridge tells the relay. */
export interface BridgeHooks {
  diagnostic(diagnostic: Diagnostic): void;
  /** The policy refused a browser frame (nothing of it went upstream). */
  refusedFrame(info: { method: string | null; reason: string }): void;
  /** The bridge is over: both sides are closed (the upstream process, if any, has exited). */
  ended(info: { code: number; reason: string; answeredByRelay: number }): void;
}

/** The bounds of one bridge, in bytes. */
export interface BridgeLimits {
  /** Most bytes of browser messages held while the app-server starts; past it, close 1008. */
  readonly maxEarlyBytes: number;
  /** Most bytes waiting to reach a browser before the next frame; past it, close 1013. */
  readonly maxBufferedBytes: number;
}

export class Bridge {
  /** Cleared by each ping, set by each pong: a browser that misses a whole period is gone. */
  alive = true;
  private readonly pending = new Map<JsonRpcId, string>();
  private readonly early: string[] = [];
  private earlyBytes = 0;
  private readonly subscription = new Subscription();
  private up = false;
  /** The end in progress: every caller of `finish` waits for the same one. */
  private finishing: Promise<void> | null = null;
  private answered = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly upstream: Transport,
    private readonly connection: RelayConnection,
    private readonly policy: RelayPolicy,
    private readonly limits: BridgeLimits,
    private readonly hooks: BridgeHooks,
  ) {}

  /** Starts the upstream, then tells the browser it is ready. */
  async open(): Promise<void> {
    const { ws, upstream } = this;
    this.subscription.add(
      upstream.messages$.subscribe({
        next: (value) => this.fromServer(value),
        error: (err: Error) => void this.upstreamFailed('app-server exited', err),
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
      await this.upstreamFailed('app-server did not start', err);
      return;
    }
    if (this.finishing) return;
    this.up = true;
    ws.send(RELAY_READY_MESSAGE);
    for (const text of this.early.splice(0)) this.toServer(text);
    this.earlyBytes = 0;
  }

  /** Ends the bridge from the relay's side (relay closing, heartbeat missed); resolves when its app-server is gone. */
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

  /** The browser is told only that the app-server failed; what failed (a host path, a command) goes to the relay's events. */
  private upstreamFailed(reason: string, err: unknown): Promise<void> {
    this.hooks.diagnostic({ kind: 'transport', message: `${reason}: ${(err as Error)?.message ?? String(err)}` });
    return this.finish(RelayCloseCode.upstreamFailed, reason);
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
      this.toBrowser(relayOversizedMessage({ head, bytes, maxFrameBytes }));
      return;
    }
    const frame = value as { id?: JsonRpcId; method?: unknown };
    const id = frame?.id;
    const isRequest = typeof frame?.method === 'string' && isId(id);
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
    this.toBrowser(text);
  }

  /**
   * A browser that does not read lets `ws` buffer without end; past `maxBufferedBytes` waiting
   * before a frame, it is dropped (1013) rather than grow the relay for every other user.
   */
  private toBrowser(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      void this.finish(1013, 'browser is not reading');
      return;
    }
    this.ws.send(text);
  }

  private fromBrowser(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.finishing) return;
    if (isBinary) {
      void this.finish(1003, 'frames are JSON text');
      return;
    }
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    // Before ready the client sends nothing: what comes is held, bounded in bytes (not messages),
    // and a message past the bound is not even parsed.
    if (!this.up && (this.earlyBytes += bytes) > this.limits.maxEarlyBytes) return void this.finish(1008, 'too much sent before ready');
    const out = this.decide(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString());
    if (out === null) return;
    if (this.up) this.toServer(out);
    else this.early.push(out);
  }

  /** The text to send upstream for one browser message, or null (refused, answered here). */
  private decide(text: string): string | null {
    const value = parseFrameText(text);
    if (value instanceof InvalidLine) return this.refuseFrame(null, null, 'not JSON', -32700);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.refuseFrame(null, null, 'a frame is one JSON object');
    const raw = value as { id?: unknown; method?: unknown; params?: unknown };
    const id = isId(raw.id) ? raw.id : null;
    if (raw.method !== undefined && typeof raw.method !== 'string') return this.refuseFrame(id, null, 'method must be a string');
    const method = (raw.method as string | undefined) ?? null;
    if (method === null && id === null) return this.refuseFrame(null, null, 'a frame needs a method or an id');
    const frame: RelayFrame = {
      kind: method === null ? 'response' : id === null ? 'notification' : 'request',
      method,
      id,
      params: raw.params,
    };
    let decision: RelayDecision;
    try {
      decision = this.policy(frame, this.connection);
    } catch (err) {
      this.hooks.diagnostic({
        kind: 'handler-error',
        message: `relay policy threw: ${(err as Error)?.message ?? String(err)}`,
        error: err as Error,
      });
      decision = { action: 'refuse', reason: 'the relay policy failed' };
    }
    if (decision.action === 'refuse') return this.refuseFrame(frame.kind === 'request' ? id : null, method, decision.reason);
    if (frame.kind === 'response' && id !== null) this.pending.delete(id);
    const out = decision.action === 'rewrite' ? { ...raw, params: decision.params } : raw;
    return frameText(out);
  }

  /** Refuses a browser frame: a request gets a JSON-RPC error back, nothing goes upstream. */
  private refuseFrame(id: JsonRpcId | null, method: string | null, reason: string, code = RELAY_REFUSED_CODE): null {
    this.hooks.refusedFrame({ method, reason });
    if (id !== null || code === -32700 || method === null) {
      const message = method ? `codex-rx relay refused '${method}': ${reason}` : `codex-rx relay refused a frame: ${reason}`;
      this.toBrowser(frameText({ id, error: { code, message, data: { relay: 'refused', method } } }));
    }
    return null;
  }

  private toServer(text: string): void {
    try {
      this.upstream.send(text);
    } catch (err) {
      void this.upstreamFailed('app-server failed', err);
    }
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

  private finish(code: number, reason: string): Promise<void> {
    return (this.finishing ??= this.end(code, reason));
  }

  private async end(code: number, reason: string): Promise<void> {
    this.early.length = 0;
    for (const id of [...this.pending.keys()]) this.answerForBrowser(id);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      // Codes only a peer may report (1005, 1006, 1015) cannot be sent.
      const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
      this.ws.close(sendable ? code : 1000, truncateReason(reason));
      // A browser that does not read would not read the close frame either: what is buffered for
      // it is freed now, not when the close handshake times out.
      if (code === 1013) this.ws.terminate();
    }
    this.subscription.unsubscribe();
    await this.upstream.close().catch(() => undefined);
    this.hooks.ended({ code, reason, answeredByRelay: this.answered });
  }
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint';
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let r = reason;
  while (Buffer.byteLength(r) > 120) r = r.slice(0, -1);
  return r + '…';
}
