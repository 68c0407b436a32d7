import { asyncScheduler, merge, Observable, SchedulerLike, Subject, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexProtocolError, CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import type { ConnectionOptions, RequestOptions } from '../options';
import { asFrame } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from '../protocol/messages';
import { frameText, InvalidLine, OversizedFrame, parseFrameText } from './frame-text';
import { HotSource } from './hot-source';
import { LinkGate } from './link-gate';
import { asTransportError, PendingRequest, PendingRequests } from './pending-requests';
import { isSafeToRetry, RetryPlan, retryPlan } from './retry-policy';
import type { TraceEnd } from './probe';
import type { LinkEvent, OutboundHandle, Transport } from './transport';
// Node: diagnostics_channel and NODE_DEBUG; elsewhere null (package.json `imports`, see scripts/build.js).
import { probe } from '#node-transports';
import { addListener } from './listeners';

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
  /**
   * Every outbound frame, as sent (requests with their ids, notifications, answers to server
   * requests). Parsed from the sent text only while someone listens. Ends with `frames$`.
   */
  readonly framesOut$: Observable<JsonRpcMessage>;

  /** The owner's notification handler (`handleNotifications`). */
  private notificationHandler: ((n: JsonRpcNotification) => void) | null = null;
  /** The owner's server-request handler (`handleServerRequests`); without one, -32601. */
  private serverRequestHandler: ((r: JsonRpcRequest) => void) | null = null;
  /** The owner's steps on a new link (`beforeRelease`). */
  private relinkSteps: Array<() => Promise<void>> = [];

  private readonly frames = new HotSource<JsonRpcMessage>();
  private readonly framesOut = new HotSource<JsonRpcMessage>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly pending: PendingRequests;
  private readonly closeListeners: Array<(err: CodexTransportError) => void> = [];
  private readonly linkListeners: Array<(event: LinkEvent) => void> = [];
  private readonly gate: LinkGate;
  private links: Subscription | null = null;
  private linkNo = 0;
  private readonly scheduler: SchedulerLike;
  /** The overload retry policy, resolved once (null: none). */
  private readonly retry: RetryPlan | null;
  private state: State = 'new';
  private startPromise: Promise<void> | null = null;
  private inbound: Subscription | null = null;
  private closeReason: CodexTransportError | null = null;

  /** Nothing is sent or received until `start()`. */
  constructor(
    /** The link the connection speaks over; the connection starts and closes it. */
    readonly transport: Transport,
    private readonly options: ConnectionOptions = {},
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.retry = retryPlan(options.retry);
    this.pending = new PendingRequests(
      this.scheduler,
      (text) => this.writeText(text),
      (request) => this.gate.pass(request),
    );
    this.gate = new LinkGate(transport);
    this.frames$ = this.frames.observable;
    this.framesOut$ = this.framesOut.observable;
    this.diagnostics$ = merge(transport.diagnostics$, this.diagnostics);
  }

  /**
   * How the server's error answers are explained to callers (the handshake names a method the
   * server lacks): applied where the error is made, so a request costs no wrapping promise for it.
   */
  explainErrorsWith(explain: (err: CodexProtocolError, method: string) => Error): Subscription {
    this.pending.explain = explain;
    return new Subscription(() => {
      if (this.pending.explain === explain) this.pending.explain = null;
    });
  }

  /**
   * Registers the owner's handler of inbound notifications (the engine's router); it runs after
   * `frames$` observers, on the frame path (one call per notification). One at a time: the
   * returned `Subscription` unregisters it.
   */
  handleNotifications(handler: (n: JsonRpcNotification) => void): Subscription {
    return this.own(
      'notification',
      () => this.notificationHandler,
      (h) => (this.notificationHandler = h),
      handler,
    );
  }

  /**
   * Registers the owner's handler of server requests, which must answer each exactly once (the
   * engine's desk). One at a time; without one, every server request is answered -32601.
   */
  handleServerRequests(handler: (r: JsonRpcRequest) => void): Subscription {
    return this.own(
      'server-request',
      () => this.serverRequestHandler,
      (h) => (this.serverRequestHandler = h),
      handler,
    );
  }

  /**
   * Registers a step the owner runs on a new link before the requests held meanwhile go out
   * (initialize again, resume turns, through `requestNow`). Steps run in the order registered; a
   * rejection closes the connection (`restart-failed`).
   */
  beforeRelease(step: () => Promise<void>): Subscription {
    this.relinkSteps = [...this.relinkSteps, step];
    return new Subscription(() => (this.relinkSteps = this.relinkSteps.filter((s) => s !== step)));
  }

  /** A single-owner slot: taken by one handler at a time, given back by its `Subscription`. */
  private own<H>(what: string, get: () => H | null, set: (h: H | null) => void, handler: H): Subscription {
    if (get() !== null) throw new TypeError(`the connection already has a ${what} handler: unsubscribe it first`);
    set(handler);
    return new Subscription(() => {
      if (get() === handler) set(null);
    });
  }

  /** Number of requests awaiting an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** True once `start()` resolved, until `close()` or a transport failure. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** True after `close()` or a transport failure: every request now fails with `CodexTransportError`. */
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
    this.links = this.transport.links$?.subscribe((event) => this.onLinkEvent(event)) ?? null;
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
    probe?.lifecycle('connected', this);
  }

  /** True while the link is down (requests wait for the new one). */
  get isLinkDown(): boolean {
    return !this.gate.isUp;
  }

  /**
   * Which link the connection is on: a number that changes when the link drops and again when a new
   * one comes up. What was asked on one link (a server request, a relink) can tell it is gone.
   */
  get link(): number {
    return this.linkNo;
  }

  /** Registers a callback run on every link event of the transport (after the connection's own handling). */
  onLink(listener: (event: LinkEvent) => void): Subscription {
    return addListener(this.linkListeners, listener);
  }

  /** Asks a transport that makes links on demand (stdio restart) for one now, if it is down. */
  ensureLink(): void {
    if (!this.gate.isUp) this.transport.relink?.();
  }

  /**
   * A dropped link: requests sent on it fail (`CodexTransportError` with the link's code), except
   * reads when the server runs on (`resumable`), which are sent again on the new link. A new link:
   * the owner's `beforeRelease` steps, then what waited goes out.
   */
  private onLinkEvent(event: LinkEvent): void {
    if (event.type !== 'retrying') this.linkNo++;
    probe?.lifecycle(
      `link ${event.type}`,
      this,
      event.type === 'down' ? { code: event.error.code, resumable: event.resumable } : undefined,
    );
    if (event.type === 'down') {
      this.gate.down();
      // The retry policy's reads (resolved once), or the safe ones when it is off.
      this.pending.dropped(event, this.retry?.isRetryable ?? isSafeToRetry, (request) => this.gate.hold(request));
      // Requests still wait for a link: a transport that makes them on demand makes the next one.
      if (this.gate.waiting) this.transport.relink?.();
    }
    for (const listener of this.linkListeners) listener(event);
    if (event.type === 'up') void this.relinked();
  }

  private async relinked(): Promise<void> {
    const link = this.linkNo;
    // The new link dropped meanwhile (whatever that made the owner throw): what waits stays held,
    // and the next link gets its own turn.
    const moot = () => this.state === 'closed' || this.linkNo !== link;
    try {
      for (const step of this.relinkSteps) await step();
    } catch (err) {
      if (moot()) return;
      const reason = new CodexTransportError(`the server refused the new link: ${(err as Error)?.message ?? describeValue(err)}`, {
        code: 'restart-failed',
        cause: err,
      });
      this.shutDown(reason);
      void this.transport.close().catch(() => undefined);
      return;
    }
    if (!moot()) this.gate.release();
  }

  /** Registers a callback run once when the connection ends, with the reason (at once if it has ended). */
  onClose(listener: (err: CodexTransportError) => void): Subscription {
    if (this.closeReason) {
      listener(this.closeReason);
      return Subscription.EMPTY;
    }
    return addListener(this.closeListeners, listener);
  }

  /**
   * Sends a request and resolves with its result. The same behaviour as `request$` (timeout, abort,
   * overload retry), but without Observables in between: this is the hot path of the client. With
   * `ready` (the client's handshake) it is registered now, its deadline and signal running from
   * now, and goes out once `ready` resolves.
   */
  request(method: string, params?: unknown, opts: RequestOptions = {}, ready?: Promise<unknown>): Promise<unknown> {
    return this.promised(method, params, opts, false, ready);
  }

  /** A request past the link gate: for the owner's handshake and resumes on a new link (`beforeRelease`). */
  requestNow(method: string, params?: unknown, opts: RequestOptions = {}): Promise<unknown> {
    return this.promised(method, params, opts, true);
  }

  private promised(method: string, params: unknown, opts: RequestOptions, now: boolean, ready?: Promise<unknown>): Promise<unknown> {
    // Traced only while someone subscribes to the request tracing channel (Node).
    const trace = probe?.request(method, params, this) ?? null;
    return new Promise((resolve, reject) => {
      if (trace === null) this.send(method, params, opts, resolve, reject, now, ready);
      else this.send(method, params, opts, traced(trace, resolve), traced(trace, reject, true), now, ready);
    });
  }

  /**
   * Cold: each subscription sends the request once (and again on an overload retry). Unsubscribing
   * before the answer, also during a retry's backoff, drops the pending entry, so a late answer is
   * ignored. `ready`: as for `request`.
   */
  request$(method: string, params?: unknown, opts: RequestOptions = {}, ready?: Promise<unknown>): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const trace = probe?.request(method, params, this) ?? null;
      const next = (result: unknown) => {
        subscriber.next(result);
        subscriber.complete();
      };
      const fail = (err: Error) => subscriber.error(err);
      return this.send(method, params, opts, trace ? traced(trace, next) : next, trace ? traced(trace, fail, true) : fail, false, ready);
    });
  }

  /**
   * Registers a request and sends it (now, once the link is up, or once `ready` resolves): exactly
   * one of `onResult` / `onError` is called, synchronously when the connection is closed or the
   * params are no JSON. An overload (-32001) answer of a retryable method is retried inside the
   * pending request (see `PendingRequest.backOff`). Returns what forgets the request (an Rx teardown).
   */
  private send(
    method: string,
    params: unknown,
    opts: RequestOptions,
    onResult: (result: unknown) => void,
    onError: (err: Error) => void,
    now = false,
    ready?: Promise<unknown>,
  ): PendingRequest | undefined {
    // The request reports a failed handshake; one that ends before (closed, aborted, bad params) needs not.
    ready?.catch(ignore);
    if (this.state === 'closed') {
      onError(this.closedError());
      return undefined;
    }
    let body: string;
    try {
      const frame: Record<string, unknown> = params === undefined ? { method } : { method, params };
      // W3C trace context rides on the request envelope (the server's `JSONRPCRequest.trace`).
      if (opts.trace) frame.trace = opts.trace;
      body = JSON.stringify(frame);
    } catch (err) {
      // A BigInt, a cycle, a throwing toJSON: the caller's value, not the connection's fault.
      onError(new TypeError(`${method}: params cannot be sent as JSON: ${(err as Error)?.message ?? describeValue(err)}`, { cause: err }));
      return undefined;
    }
    const timeoutMs = opts.timeoutMs === undefined ? (this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs) : opts.timeoutMs;
    const retry = !now && this.retry !== null && this.retry.isRetryable(method) ? this.retry : null;
    const request = this.pending.add({ method, body, timeoutMs, signal: opts.signal, now, retry, onResult, onError });
    if (!request) return undefined;
    if (ready) request.after(ready);
    else if (now) request.transmit();
    else this.gate.pass(request);
    return request;
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
    return this.writeText(frameText(frame));
  }

  private writeText(text: string): OutboundHandle | void {
    if (this.state === 'closed') throw this.closedError();
    if (this.state === 'new') throw new CodexTransportError('connection is not started', { code: 'not-started' });
    // Before the send: a transport that answers inside send() must not put the answer first.
    if (this.framesOut.observed) this.framesOut.next(parseFrameText(text) as JsonRpcMessage);
    if (probe !== null) probe.outbound(text, this);
    return this.transport.send(text);
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
    // Nobody watching frames$ (the usual case) costs nothing per frame.
    if (this.frames.observed) this.frames.next(frame);
    if (probe !== null) probe.inbound(frame, this);
    if ('method' in frame) {
      if ((frame as JsonRpcRequest).id !== undefined) this.handleServerRequest(frame as JsonRpcRequest);
      else this.notificationHandler?.(frame);
      return;
    }
    if (!this.pending.settle(frame)) {
      this.diagnostics.next({
        kind: 'unmatched-response',
        message: `response to unknown or finished request id ${describeValue((frame as { id: unknown }).id)}`,
        detail: frame,
      });
    }
  }

  /** A frame over `maxFrameBytes` was discarded: report it, and fail its request at once if it was a response. */
  private oversized(f: OversizedFrame): void {
    this.diagnostics.next({
      kind: 'oversized-frame',
      message: `inbound frame of ${f.bytes} bytes exceeds maxFrameBytes (${f.maxFrameBytes}); discarded`,
      detail: f.head,
    });
    this.pending.failOversized(f.head, f.bytes, f.maxFrameBytes);
  }

  private handleServerRequest(request: JsonRpcRequest): void {
    if (this.serverRequestHandler) {
      this.serverRequestHandler(request);
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
    this.links?.unsubscribe();
    this.links = null;
    this.gate.clear();
    this.pending.failAll(reason);
    probe?.closed(this, reason);
    for (const listener of this.closeListeners.splice(0)) listener(reason);
    if (graceful) this.frames.complete();
    else this.frames.error(reason);
    this.framesOut.complete();
    this.diagnostics.complete();
  }

  private closedError(): CodexTransportError {
    return new CodexTransportError(`connection is closed${this.closeReason ? `: ${this.closeReason.message}` : ''}`, {
      code: this.closeReason?.code ?? 'closed',
    });
  }
}

function ignore(): void {}

/** A result (or, `failed`, error) callback that reports to the request's trace first. */
function traced<T>(trace: TraceEnd, settle: (value: T) => void, failed = false): (value: T) => void {
  return (value) => {
    if (failed) trace.fail(value);
    else trace.done(value);
    settle(value);
  };
}
