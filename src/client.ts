import { defer, filter, Observable, type Subscription, tap } from 'rxjs';
import { ensureAsyncDispose } from './dispose';
import { CodexEngine, EngineStats } from './engine/engine';
import type { ConnectionState } from './engine/link-recovery';
import type { UserInputHandler } from './engine/user-input';
import type { ServerRequestHandler } from './engine/request-handlers';
import { engineSettings } from './engine/settings';
import type {
  ApprovalDecision,
  ApprovalHandler,
  ApprovalRequest,
  CancelResult,
  ChatContinuation,
  ChatResult,
  ConversationStep,
  Diagnostic,
  EnvironmentEvent,
  EnvironmentSpec,
  InitializeResult,
  ThreadConfig,
  TurnEvent,
} from './models';
import type {
  ApproveOptions,
  CancelOptions,
  ChatIterableOptions,
  ChatOptions,
  ClientOptions,
  InitializeOptions,
  InterruptOptions,
  RequestOptions,
  SteerTurnArgs,
  StdioOptions,
  UnixOptions,
  WebSocketOptions,
} from './options';
import { inputTextProblem, type ChatInput } from './protocol/input';
import type { JsonRpcMessage, JsonRpcRequest } from './protocol/messages';
import type { ClientRequestMethod, ParamsOf, ResultOf } from './protocol/methods';
import type { ServerNotification, ServerRequestMessage, ServerRequestMethod } from './protocol/server-messages';
import { JsonRpcConnection } from './streams/connection';
// Resolved by package.json `imports`: the Node transports under `node`, stand-ins that throw in browsers.
import { StdioTransport, unixSocketUrl, WebSocketTransport } from '#node-transports';
import type { Transport } from './streams/transport';
import { ThreadHandle } from './thread-handle';
import { ThreadMethods } from './thread-methods';
import { eventsIterable, stepsIterable } from './turn-iterables';
import type { ThreadView } from './view/thread-view';
import { threadView$ } from './view/thread-view-stream';

declare global {
  interface SymbolConstructor {
    /** Explicit resource management's `Symbol.asyncDispose` (`await using`); codex-rx polyfills it where the runtime lacks it. */
    readonly asyncDispose: unique symbol;
  }
}

// Before the class below names it: runtimes without Symbol.asyncDispose get one.
ensureAsyncDispose();

/**
 * The codex-rx client: Promises for one value, cold Observables for streams, over one JSON-RPC
 * connection to a codex app-server. It composes the connection (requests, frames) and the engine
 * (turns, approvals, threads); frames never pass through it.
 */
export class CodexClient extends ThreadMethods {
  /** Every inbound frame, decoded. Hot; completes on close, errors when the transport fails. */
  readonly frames$: Observable<JsonRpcMessage>;
  /**
   * Every outbound frame as it goes out (requests with their ids, notifications, answers to server
   * requests): the tap beside `frames$` for logs, recordings and browser devtools. Hot; completes on close.
   */
  readonly framesOut$: Observable<JsonRpcMessage>;
  /**
   * Every inbound notification, typed by the pinned protocol's `ServerNotification` union: narrow
   * on `method`, or pick one method's params with `ofMethod`. A newer server's notifications of
   * other methods come through too, as they came.
   */
  readonly notifications$: Observable<ServerNotification>;
  /**
   * Every request the server sends (approvals, user input, tool calls, ...), typed by the pinned
   * protocol's `ServerRequest` union. Observational: the handlers still answer them.
   */
  readonly serverRequests$: Observable<ServerRequestMessage>;
  /** Every approval request (observational: the handler, or the manual answer, still decides). */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  /** stderr lines, undecodable lines, unmatched responses, handler failures. */
  readonly diagnostics$: Observable<Diagnostic>;
  /**
   * `connecting` | `connected` | `reconnecting` | `closed`, for UIs and health checks. Hot; a new
   * subscriber gets the current state first.
   */
  readonly connectionState$: Observable<ConnectionState>;
  /**
   * **Experimental.** A thread's environment (remote exec-server) connected or disconnected, as the
   * server reports it (`thread/environment/connected|disconnected`). Hot; completes on close. A
   * disconnect also comes as a `Diagnostic` (kind `environment`) and as a `TurnEvent` (type
   * `environment`) of the thread's running turn.
   */
  readonly environmentEvents$: Observable<EnvironmentEvent>;

  private readonly connection: JsonRpcConnection;
  private readonly engine: CodexEngine;

  /**
   * A client over any `Transport` (the `connect*` factories build one of the shipped transports).
   * Nothing is sent until `start()` or the first call.
   */
  constructor(transport: Transport, options: ClientOptions = {}) {
    super();
    this.connection = new JsonRpcConnection(transport, options);
    this.engine = new CodexEngine(this.connection, engineSettings(options));
    this.frames$ = this.connection.frames$;
    this.framesOut$ = this.connection.framesOut$;
    this.notifications$ = this.frames$.pipe(
      // Typed by the pinned protocol (params are not decoded): see the field's doc.
      filter((f): f is ServerNotification => 'method' in f && (f as JsonRpcRequest).id === undefined),
    );
    this.serverRequests$ = this.frames$.pipe(
      filter((f): f is ServerRequestMessage => 'method' in f && (f as JsonRpcRequest).id !== undefined),
    );
    this.diagnostics$ = this.connection.diagnostics$;
    this.approvalRequests$ = this.engine.approvalRequests$;
    this.connectionState$ = this.engine.connectionState$;
    this.environmentEvents$ = this.engine.environments.events$;
  }

  /** A client that runs the app-server as a child process (unstarted). */
  static connectStdio(options: StdioOptions = {}): CodexClient {
    return new CodexClient(new StdioTransport(options), options);
  }

  /** A client that dials `codex app-server --listen ws://...` (unstarted). */
  static connectWebSocket(options: WebSocketOptions = {}): CodexClient {
    return new CodexClient(new WebSocketTransport(options), options);
  }

  /**
   * A client on an app-server's Unix socket (unstarted): its `--listen unix://PATH`, or by default
   * the local daemon's control socket (`codex app-server daemon start`). The same JSON-RPC as
   * WebSocket messages; `reconnect` and `heartbeatMs` work the same.
   */
  static connectUnix(options: UnixOptions = {}): CodexClient {
    const { socketPath, ...rest } = options;
    return new CodexClient(new WebSocketTransport({ ...rest, url: unixSocketUrl(socketPath) }), rest);
  }

  /** Connects. Idempotent; rejects with `CodexTransportError` (code `closed`) after `close()`. */
  async start(): Promise<this> {
    await this.connection.start();
    return this;
  }

  /** Fails pending work with `CodexTransportError` (code `closed`) and stops the server. Idempotent. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** `await using client = CodexClient.connectStdio()`: `close()` when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The server's version from the handshake's `userAgent` (null before it, or when it holds none). */
  get serverVersion(): string | null {
    return this.engine.handshake.serverVersion;
  }

  /** Live routing state, for leak checks: turns, threads awaiting a turn id, pending requests and approvals. */
  get stats(): EngineStats {
    return this.engine.stats;
  }

  /** The handshake: once per connection (later calls get the cached result), then `initialized`. */
  initialize(params: Record<string, unknown> = {}, opts: InitializeOptions = {}): Promise<InitializeResult> {
    return this.engine.handshake.initialize(params, opts);
  }

  /** One request; typed by the pinned server's method map (any other method string is `unknown`). */
  request<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: RequestOptions = {}): Promise<ResultOf<M>> {
    const threads = this.engine.threads;
    // A thread opened by a raw request is loaded on this connection too: its chats need no thread/resume.
    const environments = this.engine.environments;
    return this.engine.requests
      .call(method, params, opts)
      .then((result) => (threads.learn(method, result), environments.learn(method, params, result), result)) as Promise<ResultOf<M>>;
  }

  /**
   * Cold: each subscription sends the request (after the handshake) and emits its result. An abort
   * (`opts.signal`) errors it with `CodexAbortError`, at once: also before the handshake is done,
   * and when the signal had aborted before the subscription. Its timeout runs from the
   * subscription, also while it waits for the handshake.
   */
  request$<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: RequestOptions = {}): Observable<ResultOf<M>> {
    const { threads, environments } = this.engine;
    return defer(() => this.engine.requests.call$(method, params, opts)).pipe(
      tap((result: unknown) => (threads.learn(method, result), environments.learn(method, params, result))),
    ) as Observable<ResultOf<M>>;
  }

  // ---- environments (experimental) --------------------------------------------------------------

  /**
   * **Experimental** (needs `experimentalApi`): adds a remote environment, a `codex exec-server`
   * the app-server runs commands and file changes on (`environment/add`); threads are placed on it
   * with `ThreadConfig.environments`. The server keeps it in memory and connects lazily; the client
   * remembers it (token included) and adds it again after a reconnect or restart. `TypeError`
   * before anything is sent for an id not `[A-Za-z0-9_-]{1,64}` or `local`/`none`, or a URL not
   * `ws://`/`wss://`. The token never appears in errors, diagnostics or recordings.
   */
  addEnvironment(spec: EnvironmentSpec): Promise<void> {
    return this.engine.environments.add(spec);
  }

  /** **Experimental:** an environment's status (`environment/status`): `ready`, `pending`, `disconnected` or `unknown`, with the server's `error`. */
  environmentStatus(id: string): Promise<ResultOf<'environment/status'>> {
    return this.engine.environments.status(id) as Promise<ResultOf<'environment/status'>>;
  }

  /** **Experimental:** an environment's shell and default cwd (`environment/info`). */
  environmentInfo(id: string): Promise<ResultOf<'environment/info'>> {
    return this.engine.environments.info(id) as Promise<ResultOf<'environment/info'>>;
  }

  // ---- turns ----------------------------------------------------------------------------------

  /**
   * The completed steps of one turn, as they complete. Cold. `text` is the turn's input: a string,
   * or the protocol's `UserInput` items (text, images, local images, ...).
   */
  chat(text?: ChatInput, options: ChatOptions = {}): Observable<ConversationStep> {
    return this.engine.turns.steps$(text, options);
  }

  /** The turn as events for live UIs: started, deltas, steps, approvals, usage, plan, diff, retries, completed. Cold. */
  chatEvents(text?: ChatInput, options: ChatOptions = {}): Observable<TurnEvent> {
    return this.engine.turns.events$(text, options);
  }

  /**
   * `chat` for `for await`: each loop runs the turn (like a subscription), `break` or a throw in
   * the loop body leaves it (like an unsubscribe). Steps the body has not taken yet wait in a
   * buffer: see `IterationOptions` for its size and what happens when it is full.
   */
  chatIterable(text?: ChatInput, options: ChatIterableOptions = {}): AsyncIterable<ConversationStep> {
    return stepsIterable((o) => this.chat(text, o), options);
  }

  /**
   * `chatEvents` for `for await` (see `chatIterable`). While the loop body is behind, the text
   * deltas of one item merge into one (and a newer usage, plan or diff event replaces an older
   * one) before the buffer's size and `overflow` apply.
   */
  chatEventsIterable(text?: ChatInput, options: ChatIterableOptions = {}): AsyncIterable<TurnEvent> {
    return eventsIterable((o) => this.chatEvents(text, o), options);
  }

  /** One turn's result (final text = the last completed agent message). */
  chatOnce(text?: ChatInput, options: ChatOptions = {}): Promise<ChatResult> {
    return this.engine.turns.result(text, options);
  }

  /** Stops a timed-out turn (interrupting it unless it already ended) and returns what was unread. */
  cancel(continuation: ChatContinuation, opts: CancelOptions = {}): Promise<CancelResult> {
    return this.engine.turns.cancel(continuation, opts);
  }

  /** Interrupts a running turn and resolves when the server acknowledged it. */
  interruptTurn(turnId: string, opts: InterruptOptions = {}): Promise<void> {
    return this.engine.interruptTurn(turnId, opts);
  }

  /** Adds input (the protocol's `UserInput` items) to a running turn. */
  steerTurn(args: SteerTurnArgs): Promise<ResultOf<'turn/steer'>> {
    const problem = inputTextProblem(args.inputItems, 'inputItems');
    if (problem) return Promise.reject(new TypeError(problem));
    return this.request('turn/steer', { threadId: args.threadId, expectedTurnId: args.expectedTurnId, input: [...args.inputItems] });
  }

  /**
   * The live view of a thread for UIs: its status, turns with their items (text growing with the
   * deltas), each turn's status, error, usage, plan and diff, and the pending approvals. Cold:
   * each subscription reads the stored turns, then follows the thread's frames, and reads again
   * after a reconnect. Unchanged turns and items keep their objects from one view to the next.
   */
  threadView$(threadId: string): Observable<ThreadView> {
    return threadView$(threadId, {
      frames$: this.frames$,
      connectionState$: this.connectionState$,
      request: (method, params) => this.request(method as ClientRequestMethod, params as never),
    });
  }

  // ---- approvals and user input ---------------------------------------------------------------

  /**
   * Decides approval requests (commands, file changes, permissions, and the legacy
   * `execCommandApproval` / `applyPatchApproval`); null: declined (or manual, see `approvalMode`).
   */
  setApprovalHandler(handler: ApprovalHandler | null): void {
    this.engine.setApprovalHandler(handler);
  }

  /** Answers `item/tool/requestUserInput`; without a handler such requests get an error reply. */
  setUserInputHandler(handler: UserInputHandler | null): void {
    this.engine.setUserInputHandler(handler);
  }

  /**
   * Answers every request of `method` (a server request method of the pinned protocol) with
   * `handler` while subscribed, in place of the built-in answer (approval handler, user-input
   * handler, client-side tools, or the safe default); unsubscribing restores it. The handler gets
   * the typed params and `{ signal, requestId }` and returns the typed result (value, Promise or
   * Observable). A throw becomes a JSON-RPC error answer; no answer within `handlerTimeoutMs` gets
   * the method's default answer. Each request is answered once, on the link it came on. For an
   * approval method it also replaces the approval handler and manual mode: those requests then
   * skip `approvalRequests$` and the pending-approval record.
   */
  onServerRequest<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): Subscription {
    return this.engine.onServerRequest(method, handler);
  }

  /** Answers a pending approval request (manual mode, or ahead of the handler). */
  async respondApproval(request: ApprovalRequest, decision: ApprovalDecision): Promise<void> {
    this.engine.respondApproval(request, decision);
  }

  /** Accepts a pending approval request (for the session with `forSession`). */
  approveApproval(request: ApprovalRequest, opts: ApproveOptions = {}): Promise<void> {
    if (opts.execpolicyAmendment) {
      if (request.kind !== 'command') {
        return Promise.reject(new TypeError(`an execpolicy amendment applies to command approvals only, not to ${request.kind} approvals`));
      }
      return this.respondApproval(request, { acceptWithExecpolicyAmendment: opts.execpolicyAmendment });
    }
    return this.respondApproval(request, opts.forSession ? 'acceptForSession' : 'accept');
  }

  /** Declines a pending approval request. */
  declineApproval(request: ApprovalRequest): Promise<void> {
    return this.respondApproval(request, 'decline');
  }

  /** Answers a pending approval request `cancel` (the turn stops). */
  cancelApproval(request: ApprovalRequest): Promise<void> {
    return this.respondApproval(request, 'cancel');
  }

  // ---- threads (thread-methods.ts has the plain request wrappers) -------------------------------

  protected openThread(
    method: 'thread/start' | 'thread/resume' | 'thread/fork',
    params: Record<string, unknown>,
    tools?: ThreadConfig['tools'],
  ): Promise<string> {
    return this.engine.threads.open(method, params, tools);
  }

  /** The handle of an opened thread, bound to this client (a subclass may return its own). */
  protected handle(threadId: string, defaults: ThreadConfig = {}): ThreadHandle {
    return new ThreadHandle(this, threadId, defaults);
  }
}
