import type { SchedulerLike } from 'rxjs';
import { CodexAbortError, CodexProtocolError, CodexTimeoutError, CodexTransportError } from '../errors';
import { JsonRpcErrorObjectCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import type { JsonRpcId, JsonRpcMessage } from '../protocol/messages';
import { Deadline, Deadlines } from './deadlines';
import type { LinkEvent, OutboundHandle } from './transport';

/** A request to register. */
export interface NewRequest {
  readonly id: JsonRpcId;
  readonly method: string;
  /** The request's frame, written by the `write` the `PendingRequests` was made with. */
  readonly frame: object;
  /** Its deadline; null or Infinity: none. */
  readonly timeoutMs: number | null;
  readonly signal?: AbortSignal;
  /** Sent past the link gate (the client's own handshake and resumes on a new link). */
  readonly now: boolean;
  readonly onResult: (result: unknown) => void;
  readonly onError: (err: Error) => void;
}

/** Writes a frame to the link; may return a handle that takes it back while it still waits to go out. */
export type FrameWriter = (frame: object) => OutboundHandle | void;

/**
 * One request waiting for its answer: one object with methods, no closures (a client in a busy
 * service makes thousands of these a second). Ends exactly once: answered, timed out, aborted,
 * failed, or forgotten by its caller.
 */
export class PendingRequest implements Deadline {
  /** Written to the current link (not just held). */
  sent = false;
  /** The request's frame, while the transport may still take it back. */
  private outbound: OutboundHandle | void = undefined;
  readonly at: number;
  private readonly timeoutMs: number;
  private onAbort: (() => void) | null = null;

  constructor(
    private readonly owner: PendingRequests,
    private readonly req: NewRequest,
    now: number,
  ) {
    const timed = req.timeoutMs !== null && req.timeoutMs !== Infinity;
    this.timeoutMs = timed ? req.timeoutMs! : Infinity;
    this.at = timed ? now + this.timeoutMs : Infinity;
  }

  get id(): JsonRpcId {
    return this.req.id;
  }

  get method(): string {
    return this.req.method;
  }

  /** Sent past the link gate: never held for a new link. */
  get now(): boolean {
    return this.req.now;
  }

  /** Aborts with the request's signal. */
  listen(signal: AbortSignal): void {
    this.onAbort = () => {
      this.outbound?.cancel();
      this.reject(abortError(this.req.method, signal));
    };
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Writes the request's frame to the link (unless it ended meanwhile). */
  transmit(): void {
    if (!this.owner.isPending(this)) return;
    this.sent = true;
    try {
      this.outbound = this.owner.write(this.req.frame);
    } catch (err) {
      this.reject(asTransportError(err));
    }
  }

  /** The deadline passed. Timed out while still waiting to go out, it never reaches the server late. */
  expire(): void {
    this.outbound?.cancel();
    this.reject(timeoutError(this.req.method, this.timeoutMs));
  }

  resolve(result: unknown): void {
    if (this.forget()) this.req.onResult(result);
  }

  reject(err: Error): void {
    if (this.forget()) this.req.onError(err);
  }

  /** Forgets the request (a late answer is ignored); false when it had ended already. */
  forget(): boolean {
    if (!this.owner.remove(this)) return false;
    if (this.onAbort) this.req.signal!.removeEventListener('abort', this.onAbort);
    return true;
  }

  /** The caller leaves: the same as `forget` (an Rx teardown). */
  unsubscribe(): void {
    this.forget();
  }
}

/**
 * The requests waiting for an answer, by id (a `Map`: O(1) per response, however many wait), with
 * their deadlines (one shared timer) and abort signals. Every request ends exactly once: answered,
 * timed out, aborted, or failed when its link or the connection goes.
 */
export class PendingRequests {
  private readonly byId = new Map<JsonRpcId, PendingRequest>();
  private readonly deadlines: Deadlines<PendingRequest>;

  constructor(
    private readonly scheduler: SchedulerLike,
    /** Writes a request's frame to the link. */
    readonly write: FrameWriter,
  ) {
    this.deadlines = new Deadlines(scheduler);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Registers a request; its `transmit()` writes it. Returns null (after `onError`) when its
   * signal was already aborted.
   */
  add(req: NewRequest): PendingRequest | null {
    const { signal } = req;
    if (signal?.aborted) {
      req.onError(abortError(req.method, signal));
      return null;
    }
    const entry = new PendingRequest(this, req, this.scheduler.now());
    this.byId.set(req.id, entry);
    this.deadlines.add(entry);
    if (signal) entry.listen(signal);
    return entry;
  }

  /** True while `entry` waits for its answer. */
  isPending(entry: PendingRequest): boolean {
    return this.byId.get(entry.id) === entry;
  }

  /** Drops `entry` and its deadline; false when it was no longer pending. */
  remove(entry: PendingRequest): boolean {
    const id = entry.id;
    if (this.byId.get(id) !== entry) return false;
    this.byId.delete(id);
    this.deadlines.delete(entry);
    return true;
  }

  /**
   * A response: resolves or rejects its request. `{id, result, error: null}` is a result; an error
   * of the wrong shape rejects at once with the raw frame. False when no request waits for the id.
   */
  settle(frame: JsonRpcMessage): boolean {
    const id = (frame as { id: JsonRpcId | null }).id;
    const pending = typeof id === 'number' || typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!pending) return false;
    const error: unknown = (frame as { error?: unknown }).error;
    if (error === undefined || error === null) pending.resolve((frame as { result?: unknown }).result);
    else if (JsonRpcErrorObjectCodec.is(error)) {
      pending.reject(
        new CodexProtocolError(`${pending.method}: ${error.message} (code ${error.code})`, { code: error.code, data: error.data }),
      );
    } else {
      pending.reject(
        new CodexProtocolError(`${pending.method}: the server answered with a malformed error ${describeValue(error)}`, { data: frame }),
      );
    }
    return true;
  }

  /** A response too big to read (its first characters are `head`): its request fails at once. */
  failOversized(head: string, bytes: number, maxFrameBytes: number): void {
    const response = /^\s*\{\s*"id"\s*:\s*(\d+)\s*,\s*"(?:result|error)"/.exec(head);
    const pending = response ? this.byId.get(Number(response[1])) : undefined;
    pending?.reject(
      new CodexProtocolError(`${pending.method}: the response (${bytes} bytes) exceeds maxFrameBytes (${maxFrameBytes})`, {
        data: { bytes, head },
      }),
    );
  }

  /**
   * The link the requests were sent on dropped: each fails with the link's error, except, when the
   * server runs on, those `retryable` says may be sent twice, which `hold` keeps for the new link.
   */
  dropped(
    event: Extract<LinkEvent, { type: 'down' }>,
    retryable: (method: string) => boolean,
    hold: (request: PendingRequest) => void,
  ): void {
    for (const p of [...this.byId.values()]) {
      if (!p.sent) continue;
      p.sent = false;
      if (event.resumable && !p.now && retryable(p.method)) hold(p);
      else p.reject(new CodexTransportError(`${p.method}: ${event.error.message}`, reasonInfo(event.error)));
    }
  }

  /** The connection ended: every request fails with `reason`. */
  failAll(reason: CodexTransportError): void {
    // Each reject's cleanup deletes its entry and its deadline.
    for (const p of [...this.byId.values()]) p.reject(new CodexTransportError(`${p.method}: ${reason.message}`, reasonInfo(reason)));
    this.byId.clear();
    this.deadlines.clear();
  }
}

function abortError(method: string, signal: AbortSignal): CodexAbortError {
  return new CodexAbortError(`request '${method}' aborted`, { method, reason: signal.reason });
}

function timeoutError(method: string, timeoutMs: number): CodexTimeoutError {
  return new CodexTimeoutError(`request '${method}' timed out after ${timeoutMs} ms`, { method, timeoutMs });
}

function reasonInfo(e: CodexTransportError): ConstructorParameters<typeof CodexTransportError>[1] {
  return { code: e.code, exitCode: e.exitCode, signal: e.signal, cause: e };
}

/** `err` as a `CodexTransportError` (a transport's failure to write, say). */
export function asTransportError(err: unknown): CodexTransportError {
  if (err instanceof CodexTransportError) return err;
  return new CodexTransportError(err instanceof Error ? err.message : String(err), { cause: err });
}
