import { filter, lastValueFrom, Observable, Subscription } from 'rxjs';
import { ServerRequestDesk, UserInputHandler } from './engine/server-requests';
import { TurnRouter } from './engine/turn-router';
import type { TurnSession } from './engine/turn-session';
import { ChatOptions, TurnEngine } from './engine/turns';
import { CodexProtocolError, CodexTransportError } from './errors';
import type {
  ApprovalDecision,
  ApprovalHandler,
  ApprovalRequest,
  CancelResult,
  ChatContinuation,
  ChatResult,
  ConversationStep,
  Diagnostic,
  InitializeResult,
  RawEvent,
  ThreadConfig,
  TurnEvent,
} from './models';
import type { ClientOptions, StdioOptions, WebSocketOptions } from './options';
import { stepOf } from './operators/to-steps';
import { isApprovalMethod } from './protocol/approvals';
import {
  explain,
  ItemCompletedParamsCodec,
  ServerRequestResolvedParamsCodec,
  ThreadResultCodec,
  ThreadStatusChangedParamsCodec,
  TurnCompletedParamsCodec,
} from './protocol/codecs';
import { threadIdOf, turnIdOf } from './protocol/items';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from './protocol/messages';
import type { ClientRequestMethod, ParamsOf, ResultOf } from './protocol/methods';
import { JsonRpcConnection, RequestOptions } from './streams/connection';
// Resolved by package.json `imports`: the Node transports under `node`, stand-ins that throw in browsers.
import { StdioTransport, WebSocketTransport } from '#node-transports';
import type { Transport } from './streams/transport';
import { ThreadHandle } from './thread-handle';
import { ThreadMethods } from './thread-methods';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/**
 * The codex-rx client: Promises for one value, cold Observables for streams, over one JSON-RPC
 * connection to a codex app-server.
 */
export class CodexClient extends ThreadMethods {
  /** Every inbound frame, decoded. Hot; completes on close, errors when the transport fails. */
  readonly frames$: Observable<JsonRpcMessage>;
  /** Every inbound notification. */
  readonly notifications$: Observable<JsonRpcNotification>;
  /** Every approval request (observational: the handler, or the manual answer, still decides). */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  /** stderr lines, undecodable lines, unmatched responses, handler failures. */
  readonly diagnostics$: Observable<Diagnostic>;

  protected readonly connection: JsonRpcConnection;
  private readonly router = new TurnRouter();
  private readonly engine: TurnEngine;
  private readonly desk: ServerRequestDesk;
  private readonly knownThreads = new Set<string>();
  private readonly idleChecks = new Map<string, Subscription>();
  /** Threads with a turn/start in flight (count), and those of them that went idle meanwhile. */
  private readonly startingThreads = new Map<string, number>();
  private readonly idleWhileStarting = new Set<string>();
  private initPromise: Promise<InitializeResult> | null = null;
  private initialized = false;
  private closed = false;

  constructor(
    transport: Transport,
    private readonly options: ClientOptions = {},
  ) {
    super();
    this.connection = new JsonRpcConnection(transport, {
      requestTimeoutMs: options.requestTimeoutMs,
      scheduler: options.scheduler,
      retry: options.retry,
    });
    this.frames$ = this.connection.frames$;
    this.notifications$ = this.frames$.pipe(
      filter((f): f is JsonRpcNotification => 'method' in f && (f as JsonRpcRequest).id === undefined),
    );
    this.diagnostics$ = this.connection.diagnostics$;
    this.desk = new ServerRequestDesk(this.connection, {
      manual: options.approvalMode === 'manual',
      handlerTimeoutMs: options.handlerTimeoutMs === undefined ? 300_000 : options.handlerTimeoutMs,
    });
    this.approvalRequests$ = this.desk.approvalRequests$;
    this.engine = new TurnEngine({
      router: this.router,
      scheduler: options.scheduler,
      inactivityTimeoutMs: options.inactivityTimeoutMs === undefined ? 180_000 : options.inactivityTimeoutMs,
      maxBufferedEvents: options.maxBufferedEvents ?? 100_000,
      maxSuspendedTurns: options.maxSuspendedTurns ?? 1_000,
      ensureReady: () => (this.initialized ? null : this.ready()),
      threadFor: (o) => this.threadFor(o),
      request: (method, params) => this.connection.request(method, params),
      startTurn: (params) => this.startTurnRequest(params),
      interruptQuietly: (threadId, turnId) => {
        this.connection.request('turn/interrupt', { threadId, turnId }).catch(() => undefined);
      },
      turnFinished: (s) => this.turnFinished(s),
    });
    this.connection.onNotification = (n) => this.onNotification(n);
    this.connection.onServerRequest = (r) => this.onServerRequest(r);
    this.connection.onClose((err) => {
      this.router.failAll(err);
      for (const s of this.idleChecks.values()) s.unsubscribe();
      this.idleChecks.clear();
      this.idleWhileStarting.clear();
      this.desk.dispose();
    });
  }

  /** A client that runs the app-server as a child process (unstarted). */
  static connectStdio(options: StdioOptions = {}): CodexClient {
    return new CodexClient(new StdioTransport(options), options);
  }

  /** A client that dials `codex app-server --listen ws://...` (unstarted). */
  static connectWebSocket(options: WebSocketOptions = {}): CodexClient {
    return new CodexClient(new WebSocketTransport(options), options);
  }

  /** Connects. Idempotent; rejects with `CodexTransportError` after `close()`. */
  async start(): Promise<this> {
    if (this.closed) throw new CodexTransportError('client is closed', { code: 'closed' });
    await this.connection.start();
    return this;
  }

  /** Fails pending work with `CodexTransportError` and stops the server. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.connection.close();
  }

  /** Live routing state, for leak checks: turns, threads awaiting a turn id, pending requests and approvals. */
  get stats(): { turns: number; waitingThreads: number; pendingRequests: number; pendingApprovals: number; idleChecks: number } {
    return {
      turns: this.router.size,
      waitingThreads: this.router.waitingThreads,
      pendingRequests: this.connection.pendingCount,
      pendingApprovals: this.desk.pendingCount,
      idleChecks: this.idleChecks.size,
    };
  }

  /** The handshake: once per connection (later calls get the cached result), then `initialized`. */
  initialize(params: Record<string, unknown> = {}, opts: { timeoutMs?: number } = {}): Promise<InitializeResult> {
    return (this.initPromise ??= this.handshake(params, opts).catch((err) => {
      this.initPromise = null;
      throw err;
    }));
  }

  private async handshake(params: Record<string, unknown>, opts: { timeoutMs?: number }): Promise<InitializeResult> {
    await this.start();
    const body = { clientInfo: this.options.clientInfo ?? { name: PACKAGE_NAME, version: PACKAGE_VERSION }, ...params };
    const raw = (await this.connection.request('initialize', body, { timeoutMs: opts.timeoutMs })) as Record<string, unknown>;
    this.connection.notify('initialized');
    this.initialized = true;
    const { userAgent, codexHome, platformFamily, platformOs } = raw ?? {};
    return {
      protocolVersion: typeof raw?.protocolVersion === 'string' ? raw.protocolVersion : null,
      serverInfo:
        (raw?.serverInfo as Record<string, unknown>) ??
        (userAgent !== undefined ? { userAgent, codexHome, platformFamily, platformOs } : null),
      capabilities: (raw?.capabilities as Record<string, unknown>) ?? null,
      raw: raw ?? {},
    };
  }

  protected async ready(): Promise<void> {
    await this.initialize();
  }

  /** One request; typed by the pinned server's method map (any other method string is `unknown`). */
  request<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: RequestOptions = {}): Promise<ResultOf<M>> {
    // After the handshake, straight to the connection: no extra promise per request.
    if (this.initialized || method === 'initialize') {
      return this.connection.request(method, params, opts) as Promise<ResultOf<M>>;
    }
    return this.ready().then(() => this.connection.request(method, params, opts) as Promise<ResultOf<M>>);
  }

  /** Cold: each subscription sends the request (after the handshake) and emits its result. */
  request$<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: { timeoutMs?: number } = {}): Observable<ResultOf<M>> {
    return new Observable<ResultOf<M>>((subscriber) => {
      let inner: Subscription | undefined;
      let cancelled = false;
      this.ready().then(
        () => {
          if (!cancelled) inner = (this.connection.request$(method, params, opts) as Observable<ResultOf<M>>).subscribe(subscriber);
        },
        (err) => subscriber.error(err),
      );
      return () => {
        cancelled = true;
        inner?.unsubscribe();
      };
    });
  }

  // ---- turns ----------------------------------------------------------------------------------

  /** The completed steps of one turn, as they complete. Cold. */
  chat(text?: string, options: ChatOptions = {}): Observable<ConversationStep> {
    return this.engine.steps$(text, options);
  }

  /** The turn as events for live UIs: started, deltas, steps, approvals, completed. Cold. */
  chatEvents(text?: string, options: ChatOptions = {}): Observable<TurnEvent> {
    return this.engine.events$(text, options);
  }

  /** One turn's result (final text = the last completed agent message). */
  chatOnce(text?: string, options: ChatOptions = {}): Promise<ChatResult> {
    return this.chatOnceOn(undefined, text, options);
  }

  /** @internal `ThreadHandle.chat`: a continuation must belong to `threadId`. */
  chatOn(threadId: string, text: string | undefined, options: ChatOptions): Observable<ConversationStep> {
    return this.engine.steps$(text, options, threadId);
  }

  /** @internal */
  chatEventsOn(threadId: string, text: string | undefined, options: ChatOptions): Observable<TurnEvent> {
    return this.engine.events$(text, options, threadId);
  }

  /** @internal */
  chatOnceOn(threadId: string | undefined, text: string | undefined, options: ChatOptions): Promise<ChatResult> {
    try {
      return lastValueFrom(this.engine.result$(text, options, threadId));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Stops a timed-out turn (interrupting it unless it already ended) and returns what was unread. */
  async cancel(continuation: ChatContinuation, opts: { timeoutMs?: number } = {}): Promise<CancelResult> {
    const session = this.engine.sessionFor(continuation, null);
    const wasCompleted = session.ended;
    if (!wasCompleted) {
      const ended = session.whenEnded();
      await this.connection.request('turn/interrupt', { threadId: session.threadId, turnId: session.turnId }, opts);
      await withTimeout(ended, opts.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000, 'turn/interrupt: the turn did not end');
    }
    const frames = session.unread(continuation.cursor);
    const seen = new Set(session.seenItemIds);
    const steps = frames.map((f) => stepOf(f, seen)).filter((s): s is ConversationStep => s !== null);
    this.engine.release(session);
    return {
      threadId: session.threadId,
      turnId: session.turnId,
      steps,
      rawEvents: frames as RawEvent[],
      wasCompleted,
      wasInterrupted: !wasCompleted,
    };
  }

  /** Interrupts a running turn (best effort) and resolves when the server acknowledged it. */
  async interruptTurn(turnId: string, opts: { threadId?: string; timeoutMs?: number } = {}): Promise<void> {
    const threadId = opts.threadId ?? this.router.get(turnId)?.threadId;
    if (!threadId) throw new TypeError(`interruptTurn: unknown turn ${turnId}; pass opts.threadId`);
    await this.request('turn/interrupt', { threadId, turnId }, { timeoutMs: opts.timeoutMs });
  }

  /** Adds input to a running turn. */
  steerTurn(args: { threadId: string; expectedTurnId: string; inputItems: object[] }): Promise<ResultOf<'turn/steer'>> {
    return this.request('turn/steer', {
      threadId: args.threadId,
      expectedTurnId: args.expectedTurnId,
      input: args.inputItems as ParamsOf<'turn/steer'>['input'],
    });
  }

  // ---- approvals and user input ---------------------------------------------------------------

  setApprovalHandler(handler: ApprovalHandler | null): void {
    this.desk.setApprovalHandler(handler);
  }

  /** Answers `item/tool/requestUserInput`; without a handler such requests get an error reply. */
  setUserInputHandler(handler: UserInputHandler | null): void {
    this.desk.setUserInputHandler(handler);
  }

  async respondApproval(request: ApprovalRequest, decision: ApprovalDecision): Promise<void> {
    this.desk.respondApproval(request, decision);
    this.router.get(request.turnId)?.pendingApprovals.delete(request.requestId);
  }

  approveApproval(request: ApprovalRequest, opts: { forSession?: boolean; execpolicyAmendment?: string[] } = {}): Promise<void> {
    if (opts.execpolicyAmendment) {
      if (request.kind !== 'command') {
        return Promise.reject(new TypeError('an execpolicy amendment applies to command approvals only, not to file changes'));
      }
      return this.respondApproval(request, { acceptWithExecpolicyAmendment: opts.execpolicyAmendment });
    }
    return this.respondApproval(request, opts.forSession ? 'acceptForSession' : 'accept');
  }

  declineApproval(request: ApprovalRequest): Promise<void> {
    return this.respondApproval(request, 'decline');
  }

  cancelApproval(request: ApprovalRequest): Promise<void> {
    return this.respondApproval(request, 'cancel');
  }

  // ---- threads (thread-methods.ts has the plain request wrappers) -------------------------------

  protected handle(threadId: string, defaults: ThreadConfig = {}): ThreadHandle {
    this.knownThreads.add(threadId);
    return new ThreadHandle(this, threadId, defaults);
  }

  protected threadIdFrom(result: unknown, method: string): string {
    if (!ThreadResultCodec.is(result)) throw new CodexProtocolError(`${method} answered without a thread id`, { data: result });
    return result.thread.id;
  }

  /** The thread a turn runs on: a known thread as is (no round trip), else started or resumed. */
  private threadFor(options: ChatOptions): string | Promise<string> {
    const { threadId, threadConfig } = options;
    if (threadId === undefined) return this.startThread(threadConfig).then((h) => h.threadId);
    if (threadConfig === undefined && this.knownThreads.has(threadId)) return threadId;
    return this.resumeThread(threadId, { overrides: threadConfig }).then(() => threadId);
  }

  // ---- routing --------------------------------------------------------------------------------

  private onNotification(n: JsonRpcNotification): void {
    const threadId = threadIdOf(n);
    const turnId = turnIdOf(n);
    if (n.method === 'item/completed' || n.method === 'turn/completed') this.checkTurnFrame(n, turnId);
    if (this.router.route(n, threadId, turnId)) return;
    if (n.method === 'thread/status/changed') this.onThreadStatus(n);
    else if (n.method === 'serverRequest/resolved' && ServerRequestResolvedParamsCodec.is(n.params)) {
      const { requestId } = n.params;
      this.desk.resolved(requestId);
      for (const s of this.router.sessions()) s.pendingApprovals.delete(requestId);
    }
  }

  /** A malformed item/turn completion is reported; with `strict` it also fails its turn. */
  private checkTurnFrame(n: JsonRpcNotification, turnId: string | undefined): void {
    const codec = n.method === 'item/completed' ? ItemCompletedParamsCodec : TurnCompletedParamsCodec;
    if (codec.is(n.params)) return;
    const error = new CodexProtocolError(`malformed ${n.method}: ${explain(codec, n.params)}`, { data: n });
    this.connection.report({ kind: 'invalid-frame', message: error.message, detail: n, error });
    if (this.options.strict && turnId !== undefined) this.router.get(turnId)?.fail(error);
  }

  private onServerRequest(r: JsonRpcRequest): void {
    const turnId = turnIdOf(r);
    if (isApprovalMethod(r.method) && turnId !== undefined) this.router.get(turnId)?.pendingApprovals.add(r.id);
    this.router.route(r, threadIdOf(r), turnId);
    this.desk.handle(r);
  }

  private turnFinished(session: TurnSession): void {
    this.desk.dropTurn(session.turnId);
    this.idleChecks.get(session.turnId)?.unsubscribe();
    this.idleChecks.delete(session.turnId);
  }

  /**
   * Known server bug: a turn whose thread went idle but whose `turn/completed` never comes. After
   * `idleGraceMs`, read the thread and end the turn from what it says. The idle status can come
   * before the client bound the turn (it often shares a read with the turn/start response): then
   * it is remembered for the thread and the check starts once turn/start answered.
   */
  private onThreadStatus(n: JsonRpcNotification): void {
    if (!ThreadStatusChangedParamsCodec.is(n.params)) return;
    const threadId = n.params.threadId;
    if (n.params.status.type !== 'idle') {
      this.idleWhileStarting.delete(threadId);
      return;
    }
    const session = this.router.activeOnThread(threadId);
    if (session) this.armIdleCheck(session.turnId);
    else if (this.startingThreads.has(threadId)) this.idleWhileStarting.add(threadId);
  }

  /** turn/start for the engine: tracks the thread while the request is in flight (see onThreadStatus). */
  private async startTurnRequest(params: Record<string, unknown>): Promise<unknown> {
    const threadId = params.threadId as string;
    this.startingThreads.set(threadId, (this.startingThreads.get(threadId) ?? 0) + 1);
    const done = () => {
      const left = (this.startingThreads.get(threadId) ?? 1) - 1;
      if (left > 0) this.startingThreads.set(threadId, left);
      else this.startingThreads.delete(threadId);
    };
    let result: unknown;
    try {
      result = await this.connection.request('turn/start', params);
    } catch (err) {
      done();
      this.idleWhileStarting.delete(threadId);
      throw err;
    }
    done();
    const turnId = (result as { turn?: { id?: unknown } })?.turn?.id;
    // Armed before the engine binds the turn (it resumes after this), so a turn that already
    // completed in the held frames clears the check at once.
    if (this.idleWhileStarting.delete(threadId) && typeof turnId === 'string') this.armIdleCheck(turnId);
    return result;
  }

  private armIdleCheck(turnId: string): void {
    if (this.idleChecks.has(turnId)) return;
    const grace = this.options.idleGraceMs ?? 2_000;
    const timer = setTimeout(() => {
      this.idleChecks.delete(turnId);
      const session = this.router.get(turnId);
      if (!session || session.ended || this.connection.isClosed) return;
      this.connection
        .request('thread/read', { threadId: session.threadId, includeTurns: true })
        .then((read) => {
          const turns = (read as { thread?: { turns?: Array<{ id?: string; status?: string }> } }).thread?.turns ?? [];
          const turn = turns.find((t) => t.id === session.turnId);
          if (!turn || session.ended || turn.status === 'inProgress') return;
          this.connection.report({
            kind: 'protocol',
            message: `turn ${session.turnId}: thread went idle without turn/completed; ended from thread/read (${turn.status})`,
          });
          session.push({ method: 'turn/completed', params: { threadId: session.threadId, turn } });
        })
        .catch(() => undefined);
    }, grace);
    this.idleChecks.set(turnId, { unsubscribe: () => clearTimeout(timer) } as Subscription);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number | null, message: string): Promise<T> {
  if (ms === null) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new CodexProtocolError(`${message} within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
