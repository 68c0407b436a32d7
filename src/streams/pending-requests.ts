import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { abortError } from '../abort';
import { CodexProtocolError, CodexTimeoutError, CodexTransportError } from '../errors';
import { JsonRpcErrorObjectCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import { ErrorCodes, JsonRpcId, JsonRpcMessage } from '../protocol/messages';
import { Deadline, Deadlines } from './deadlines';
import type { RetryPlan } from './retry-policy';
import type { LinkEvent, OutboundHandle } from './transport';

/** A request to register. */
export interface NewRequest {
  readonly method: string;
  /**
   * The request's frame as JSON without its id (`{"method":…,"params":…}`): serialised once, before
   * it is registered, and given an id each time it is written (a retry goes under a new one).
   */
  readonly body: string;
  /** Its deadline, from the call to the answer (retries and a wait for the link included); null or Infinity: none. */
  readonly timeoutMs: number | null;
  readonly signal?: AbortSignal;
  /** Sent past the link gate (the client's own handshake and resumes on a new link). */
  readonly now: boolean;
  /** How an overloaded (-32001) answer is retried; null: it is not. */
  readonly retry: RetryPlan | null;
  readonly onResult: (result: unknown) => void;
  readonly onError: (err: Error) => void;
}

/** Writes a frame's text to the link; may return a handle that takes it back while it still waits to go out. */
export type FrameWriter = (text: string) => OutboundHandle | void;

/** Sends a request now if the link is up, else once it is (the connection's link gate). */
export type RequestPasser = (request: PendingRequest) => void;

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
  /** Overload retries so far. */
  private retries = 0;
  /** The wait before the next retry, while it runs. */
  private backoff: Subscription | null = null;

  constructor(
    private readonly owner: PendingRequests,
    private readonly req: NewRequest,
    /** The id it is written under; a retry gets a new one (`PendingRequests.renumber`). */
    public id: number,
    now: number,
  ) {
    const timed = req.timeoutMs !== null && req.timeoutMs !== Infinity;
    this.timeoutMs = timed ? req.timeoutMs! : Infinity;
    this.at = timed ? now + this.timeoutMs : Infinity;
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
      this.reject(abortError(signal, this.req.method));
    };
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Writes the request's frame to the link (unless it ended meanwhile). */
  transmit(): void {
    if (!this.owner.isPending(this)) return;
    this.sent = true;
    const id = this.id;
    try {
      const outbound = this.owner.write(`{"id":${id},${this.req.body.slice(1)}`);
      // An in-memory peer may have answered (and a retry renumbered it) during the write.
      if (this.id === id) this.outbound = outbound;
    } catch (err) {
      this.reject(asTransportError(err));
    }
  }

  /** Goes to the link once `ready` (the handshake) resolves, failing with its error; its deadline and signal run from now. */
  after(ready: Promise<unknown>): void {
    ready.then(
      () => this.owner.isPending(this) && this.owner.pass(this),
      (err: unknown) => this.reject(err instanceof Error ? err : new Error(describeValue(err))),
    );
  }

  /**
   * The server is overloaded (-32001): when the retry plan allows one more, waits out its delay,
   * still pending (its deadline, signal and the connection's end stop the wait at once), then goes
   * again under a new id. False when it may not be retried.
   */
  backOff(): boolean {
    const plan = this.req.retry;
    if (plan === null || this.retries >= plan.maxRetries) return false;
    this.retries++;
    this.sent = false;
    this.outbound = undefined;
    this.owner.renumber(this);
    this.backoff = this.owner.scheduler.schedule(endBackoff, plan.delay(this.retries), this);
    return true;
  }

  /** The backoff is over: to the link (through the gate, which holds it while the link is down). */
  resend(): void {
    this.backoff = null;
    if (this.owner.isPending(this)) this.owner.pass(this);
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
    if (this.backoff) {
      this.backoff.unsubscribe();
      this.backoff = null;
    }
    return true;
  }

  /** The caller leaves: the same as `forget` (an Rx teardown). */
  unsubscribe(): void {
    this.forget();
  }
}

/** A backoff's scheduled work: a plain function with the request as its state, no closure per retry. */
function endBackoff(this: SchedulerAction<PendingRequest>, request?: PendingRequest): void {
  request!.resend();
}

/**
 * The requests waiting for an answer, by id (a `Map`: O(1) per response, however many wait), with
 * their deadlines (one shared timer) and abort signals. Every request ends exactly once: answered,
 * timed out, aborted, or failed when its link or the connection goes.
 */
export class PendingRequests {
  private readonly byId = new Map<JsonRpcId, PendingRequest>();
  private readonly deadlines: Deadlines<PendingRequest>;
  private nextId = 1;
  /** Rewrites the error a server answered a request with (see `JsonRpcConnection.explainErrorsWith`). */
  explain: ((err: CodexProtocolError, method: string) => Error) | null = null;

  constructor(
    readonly scheduler: SchedulerLike,
    /** Writes a request's frame to the link. */
    readonly write: FrameWriter,
    /** Sends a request through the link gate (after a backoff or the handshake). */
    readonly pass: RequestPasser,
  ) {
    this.deadlines = new Deadlines(scheduler);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Registers a request under the next id; its `transmit()` writes it. Returns null (after
   * `onError`) when its signal was already aborted.
   */
  add(req: NewRequest): PendingRequest | null {
    const { signal } = req;
    if (signal?.aborted) {
      req.onError(abortError(signal, req.method));
      return null;
    }
    const entry = new PendingRequest(this, req, this.nextId++, this.scheduler.now());
    this.byId.set(entry.id, entry);
    this.deadlines.add(entry);
    if (signal) entry.listen(signal);
    return entry;
  }

  /** True while `entry` waits for its answer. */
  isPending(entry: PendingRequest): boolean {
    return this.byId.get(entry.id) === entry;
  }

  /** A retry: `entry` answers to a new id from now on (a late answer to the old one is unmatched). */
  renumber(entry: PendingRequest): void {
    this.byId.delete(entry.id);
    entry.id = this.nextId++;
    this.byId.set(entry.id, entry);
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
      if (error.code === ErrorCodes.ServerOverloaded && pending.backOff()) return true;
      const err = new CodexProtocolError(`${pending.method}: ${error.message} (code ${error.code})`, {
        code: error.code,
        data: error.data,
      });
      pending.reject(this.explain ? this.explain(err, pending.method) : err);
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
