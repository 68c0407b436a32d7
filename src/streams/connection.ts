import { asyncScheduler, merge, Observable, retry, SchedulerLike, Subject, Subscription, timer } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexAbortError, CodexProtocolError, CodexTimeoutError, CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import type { ConnectionOptions, RequestOptions } from '../options';
import { asFrame, JsonRpcErrorObjectCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from '../protocol/messages';
import { Deadline, Deadlines } from './deadlines';
import { InvalidLine, OversizedFrame } from './frame-text';
import { isOverloaded, RetryPlan, retryPlan } from './retry-policy';
import type { OutboundHandle, Transport } from './transport';

interface Pending extends Deadline {
  readonly method: string;
  readonly timeoutMs: number;
  /** The request's frame, while the transport may still take it back. */
  outbound?: OutboundHandle | void;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

type State = 'new' | 'starting' | 'open' | 'closed';

/**
 * JSON-RPC over a `Transport`: correlates responses to requests by id (a `Map`, O(1) per frame),
 * times requests out, and turns inbound traffic into one hot stream of decoded frames. Made hot
 * explicitly by `start()`; subscribers come and go without starting or stopping anything.
 */
export class JsonRpcConnection {
  /** Every inbound frame. Completes on `close()`, errors when the transport fails. */
  readonly frames$: Observable<JsonRpcMessage>;
  /** Transport diagnostics and undecodable or unmatched input. */
  readonly diagnostics$: Observable<Diagnostic>;

  /** Notification sink of the owner (the client's router); runs after `frames$` observers. */
  onNotification: ((n: JsonRpcNotification) => void) | null = null;
  /** Server-request sink; without one every server request is answered with -32601. */
  onServerRequest: ((r: JsonRpcRequest) => void) | null = null;

  private readonly frames = new Subject<JsonRpcMessage>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly pending = new Map<JsonRpcId, Pending>();
  private readonly closeListeners: Array<(err: CodexTransportError) => void> = [];
  private readonly scheduler: SchedulerLike;
  private readonly deadlines: Deadlines<Pending>;
  private nextId = 1;
  private state: State = 'new';
  private startPromise: Promise<void> | null = null;
  private inbound: Subscription | null = null;
  private closeReason: CodexTransportError | null = null;

  constructor(
    readonly transport: Transport,
    private readonly options: ConnectionOptions = {},
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.deadlines = new Deadlines(this.scheduler);
    this.frames$ = this.frames.asObservable();
    this.diagnostics$ = merge(transport.diagnostics$, this.diagnostics);
  }

  /** Number of requests awaiting an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Starts the transport and begins routing. Idempotent; rejects after `close()`. */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    return (this.startPromise ??= this.open());
  }

  private async open(): Promise<void> {
    this.state = 'starting';
    // Subscribe before starting so that nothing the server says first is lost.
    this.inbound = this.transport.messages$.subscribe({
      next: (value) => this.dispatch(value),
      error: (err) => this.shutDown(asTransportError(err)),
      complete: () => this.shutDown(new CodexTransportError('the server closed the connection', { code: 'disconnected' })),
    });
    try {
      await this.transport.start();
    } catch (err) {
      this.shutDown(asTransportError(err));
      throw asTransportError(err);
    }
    if ((this.state as State) === 'closed') throw this.closedError();
    this.state = 'open';
  }

  /** Registers a callback run once when the connection ends, with the reason. */
  onClose(listener: (err: CodexTransportError) => void): void {
    if (this.closeReason) listener(this.closeReason);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends a request and resolves with its result. The same behaviour as `request$` (timeout, abort,
   * overload retry), but without Observables in between: this is the hot path of the client.
   */
  request(method: string, params?: unknown, opts: RequestOptions = {}): Promise<unknown> {
    const policy = this.retryPlan(method);
    if (!policy) return new Promise((resolve, reject) => void this.send(method, params, opts, resolve, reject));
    return new Promise((resolve, reject) => {
      let attempt = 0;
      const onError = (err: Error) => {
        if (attempt >= policy.maxRetries || !isOverloaded(err)) {
          reject(err);
          return;
        }
        attempt++;
        this.scheduler.schedule(() => void this.send(method, params, opts, resolve, onError), policy.delay(attempt));
      };
      this.send(method, params, opts, resolve, onError);
    });
  }

  /**
   * Cold: each subscription sends the request once (and again on an overload retry). Unsubscribing
   * before the answer drops the pending entry, so a late answer is ignored.
   */
  request$(method: string, params?: unknown, opts: RequestOptions = {}): Observable<unknown> {
    const once = new Observable<unknown>((subscriber) =>
      this.send(
        method,
        params,
        opts,
        (result) => {
          subscriber.next(result);
          subscriber.complete();
        },
        (err) => subscriber.error(err),
      ),
    );
    const policy = this.retryPlan(method);
    if (!policy) return once;
    return once.pipe(
      retry({
        count: policy.maxRetries,
        delay: (err, attempt) => {
          if (!isOverloaded(err)) throw err;
          return timer(policy.delay(attempt), this.scheduler);
        },
      }),
    );
  }

  private retryPlan(method: string): RetryPlan | null {
    return retryPlan(this.options.retry, method);
  }

  /**
   * Sends one attempt of a request: exactly one of `onResult` / `onError` is called (synchronously
   * when the connection is closed). Returns the teardown that forgets the request.
   */
  private send(
    method: string,
    params: unknown,
    opts: RequestOptions,
    onResult: (result: unknown) => void,
    onError: (err: Error) => void,
  ): () => void {
    if (this.state === 'closed') {
      onError(this.closedError());
      return noop;
    }
    const id = this.nextId++;
    const signal = opts.signal;
    let onAbort: (() => void) | undefined;
    const timeoutMs = opts.timeoutMs === undefined ? (this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs) : opts.timeoutMs;
    const timed = timeoutMs !== null && timeoutMs !== Infinity;
    const cleanup = () => {
      if (!this.pending.delete(id)) return;
      this.deadlines.delete(entry);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    };
    const entry: Pending = {
      method,
      at: timed ? this.scheduler.now() + timeoutMs : Infinity,
      timeoutMs: timed ? timeoutMs : Infinity,
      expire: () => {
        // Timed out while still waiting to go out: it never reaches the server late.
        entry.outbound?.cancel();
        entry.reject(timeoutError(method, entry.timeoutMs));
      },
      resolve: (result) => {
        cleanup();
        onResult(result);
      },
      reject: (err) => {
        cleanup();
        onError(err);
      },
    };
    if (signal?.aborted) {
      onError(abortError(method, signal));
      return noop;
    }
    this.pending.set(id, entry);
    this.deadlines.add(entry);
    if (signal) {
      onAbort = () => {
        entry.outbound?.cancel();
        this.pending.get(id)?.reject(abortError(method, signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      entry.outbound = this.write(params === undefined ? { id, method } : { id, method, params });
    } catch (err) {
      this.pending.get(id)?.reject(asTransportError(err));
    }
    return cleanup;
  }

  /** Sends a notification. */
  notify(method: string, params?: unknown): void {
    this.write(params === undefined ? { method } : { method, params });
  }

  /** Answers a server request. */
  respond(id: JsonRpcId, result: unknown): void {
    this.write({ id, result });
  }

  /** Answers a server request with an error. */
  respondError(id: JsonRpcId, error: JsonRpcErrorObject): void {
    this.write({ id, error });
  }

  /** Reports a diagnostic on `diagnostics$` (used by the client for handler failures and oddities). */
  report(diagnostic: Diagnostic): void {
    this.diagnostics.next(diagnostic);
  }

  private write(frame: object): OutboundHandle | void {
    if (this.state === 'closed') throw this.closedError();
    if (this.state === 'new') throw new CodexTransportError('connection is not started', { code: 'not-started' });
    return this.transport.send(frameText(frame));
  }

  /** One inbound value. Whatever it is, and whatever a sink does with it, the connection lives on. */
  private dispatch(value: unknown): void {
    try {
      this.route(value);
    } catch (err) {
      this.diagnostics.next({
        kind: 'protocol',
        message: `failed to handle an inbound frame: ${(err as Error)?.message ?? describeValue(err)}`,
        error: err instanceof Error ? err : undefined,
        detail: value,
      });
    }
  }

  private route(value: unknown): void {
    if (value instanceof OversizedFrame) {
      this.oversized(value);
      return;
    }
    if (value instanceof InvalidLine) {
      this.diagnostics.next({
        kind: 'invalid-json',
        message: `inbound line is not JSON (${value.length} chars): ${value.reason}`,
        detail: value.line,
      });
      return;
    }
    const frame = asFrame(value);
    if (!frame) {
      this.diagnostics.next({ kind: 'invalid-frame', message: 'inbound JSON is not a JSON-RPC frame', detail: value });
      return;
    }
    this.frames.next(frame);
    if ('method' in frame) {
      if ((frame as JsonRpcRequest).id !== undefined) this.handleServerRequest(frame as JsonRpcRequest);
      else this.onNotification?.(frame);
      return;
    }
    const id = (frame as { id: JsonRpcId | null }).id;
    const pending = typeof id === 'number' || typeof id === 'string' ? this.pending.get(id) : undefined;
    if (!pending) {
      this.diagnostics.next({
        kind: 'unmatched-response',
        message: `response to unknown or finished request id ${describeValue(id)}`,
        detail: frame,
      });
      return;
    }
    // `{id, result, error: null}` is a result; an error of the wrong shape fails the request at once.
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
  }

  /** A frame over `maxFrameBytes` was discarded: report it, and fail its request at once if it was a response. */
  private oversized(f: OversizedFrame): void {
    this.diagnostics.next({
      kind: 'oversized-frame',
      message: `inbound frame of ${f.bytes} bytes exceeds maxFrameBytes (${f.maxFrameBytes}); discarded`,
      detail: f.head,
    });
    const response = /^\s*\{\s*"id"\s*:\s*(\d+)\s*,\s*"(?:result|error)"/.exec(f.head);
    const pending = response ? this.pending.get(Number(response[1])) : undefined;
    pending?.reject(
      new CodexProtocolError(`${pending.method}: the response (${f.bytes} bytes) exceeds maxFrameBytes (${f.maxFrameBytes})`, {
        data: { bytes: f.bytes, head: f.head },
      }),
    );
  }

  private handleServerRequest(request: JsonRpcRequest): void {
    if (this.onServerRequest) {
      this.onServerRequest(request);
      return;
    }
    this.respondError(request.id, { code: ErrorCodes.MethodNotFound, message: `unhandled server request '${request.method}'` });
  }

  /** Stops routing, fails every pending request, and closes the transport. Idempotent. */
  async close(): Promise<void> {
    const wasNew = this.state === 'new';
    this.shutDown(new CodexTransportError('connection closed by the client', { code: 'closed' }), true);
    if (!wasNew || this.startPromise) await this.transport.close();
  }

  private shutDown(reason: CodexTransportError, graceful = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.inbound?.unsubscribe();
    this.inbound = null;
    // Reject before clearing: each reject's cleanup deletes its entry and clears its timer.
    const failures = [...this.pending.values()];
    for (const p of failures) p.reject(new CodexTransportError(`${p.method}: ${reason.message}`, reasonInfo(reason)));
    this.pending.clear();
    this.deadlines.clear();
    for (const listener of this.closeListeners.splice(0)) listener(reason);
    if (graceful) this.frames.complete();
    else this.frames.error(reason);
    this.diagnostics.complete();
  }

  private closedError(): CodexTransportError {
    return new CodexTransportError(`connection is closed${this.closeReason ? `: ${this.closeReason.message}` : ''}`, {
      code: this.closeReason?.code ?? 'closed',
    });
  }
}

/** The JSON text of an outbound frame; an id beyond 2^53 (a bigint) is written exactly. */
function frameText(frame: object): string {
  const id = (frame as { id?: unknown }).id;
  if (typeof id !== 'bigint') return JSON.stringify(frame);
  const { id: _id, ...rest } = frame as { id: bigint };
  const body = JSON.stringify(rest);
  return body === '{}' ? `{"id":${id}}` : `{"id":${id},${body.slice(1)}`;
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

const noop = () => undefined;

function asTransportError(err: unknown): CodexTransportError {
  if (err instanceof CodexTransportError) return err;
  return new CodexTransportError(err instanceof Error ? err.message : String(err), { cause: err });
}
