import { catchError, combineLatest, defer, distinctUntilChanged, map, merge, mergeMap, Observable, Subscription } from 'rxjs';
import type { CodexClient } from '../client';
import { DEFAULTS } from '../defaults';
import type { EngineStats } from '../engine/engine';
import type { ConnectionState } from '../engine/link-recovery';
import type { ServerRequestHandler } from '../engine/request-handlers';
import type { UserInputHandler } from '../engine/user-input';
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
} from '../models';
import type {
  ApproveOptions,
  BatchWriteConfigOptions,
  CancelOptions,
  ExecCommandOptions,
  InitializeOptions,
  InterruptOptions,
  ListModelsOptions,
  ListThreadsOptions,
  ReadConfigOptions,
  ReadThreadOptions,
  RequestOptions,
  StartReviewArgs,
  SteerTurnArgs,
  ThreadOpenOptions,
  WriteConfigValueArgs,
} from '../options';
import type { ChatInput } from '../protocol/input';
import type { JsonRpcMessage } from '../protocol/messages';
import type { ClientRequestMethod, ParamsOf, ResultOf } from '../protocol/methods';
import type { ServerNotification, ServerRequestMessage, ServerRequestMethod } from '../protocol/server-messages';
import { ThreadHandle, type ThreadClient } from '../thread-handle';
import { eventsIterable, stepsIterable } from '../turn-iterables';
import type { ThreadView } from '../view/thread-view';
import { listAcross } from './list-threads';
import { makeMembers, type Member, type PoolMember } from './members';
import type { PlacementOptions, PoolChatIterableOptions, PoolChatOptions, PoolOptions } from './options';
import { poolFailure } from './pool-error';
import { failure$, PoolRouter } from './router';
import { ThreadRoutes } from './thread-routes';

/**
 * Several app-servers behind one client. Each member is a `CodexClient` (stdio, WebSocket or Unix);
 * the pool has the client's surface and routes each call: a new thread to the least busy member (or
 * the one its `key` picks), everything about a thread to the member that holds it (the thread
 * stays there: affinity), methods without a thread to the first member that is up. A member that
 * fails fails its own threads' calls with `CodexPoolError` (a `CodexTransportError` naming the
 * member); the others go on. Handles (`startThread`) are ordinary `ThreadHandle`s over the pool.
 */
export class CodexPool implements ThreadClient {
  /** The members, in the order given: ids, clients, states and thread counts. */
  readonly members: readonly PoolMember[];
  /** Every member's inbound frames, merged. */
  readonly frames$: Observable<JsonRpcMessage>;
  /** Every member's outbound frames, merged (a member's own: `members[i].client.framesOut$`). */
  readonly framesOut$: Observable<JsonRpcMessage>;
  /** Every member's notifications, merged (each carries its `threadId`). */
  readonly notifications$: Observable<ServerNotification>;
  /** Every member's server requests, merged (observational, like `CodexClient.serverRequests$`). */
  readonly serverRequests$: Observable<ServerRequestMessage>;
  /** Every member's approval requests, merged; answer them through the pool (routed by `threadId`). */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  /** Every member's diagnostics, merged. */
  readonly diagnostics$: Observable<Diagnostic>;
  /** **Experimental:** every member's environment events, merged (see `CodexClient.environmentEvents$`). */
  readonly environmentEvents$: Observable<EnvironmentEvent>;
  /** Each member's `connectionState$` by member id, as one record; a new subscriber gets the current states first. */
  readonly health$: Observable<Readonly<Record<string, ConnectionState>>>;
  /**
   * The pool's state: `connected` while any member is, else `connecting` or `reconnecting` while
   * any member is, `closed` once every member is.
   */
  readonly connectionState$: Observable<ConnectionState>;

  private readonly all: Member[];
  private readonly router: PoolRouter;

  /** A pool over `options.members`; nothing is started until `start()` or the first call. */
  constructor(options: PoolOptions) {
    this.all = makeMembers(options.members);
    this.members = this.all;
    const routes = new ThreadRoutes(this.all, options.maxRoutedThreads ?? DEFAULTS.poolRoutedThreads);
    this.router = new PoolRouter(this.all, routes, options.place);
    const clients = this.all.map((m) => m.client);
    this.frames$ = merge(...clients.map((c) => c.frames$));
    this.framesOut$ = merge(...clients.map((c) => c.framesOut$));
    this.notifications$ = merge(...clients.map((c) => c.notifications$));
    this.serverRequests$ = merge(...clients.map((c) => c.serverRequests$));
    this.approvalRequests$ = merge(...clients.map((c) => c.approvalRequests$));
    this.diagnostics$ = merge(...clients.map((c) => c.diagnostics$));
    this.environmentEvents$ = merge(...clients.map((c) => c.environmentEvents$));
    this.health$ = combineLatest(this.all.map((m) => m.client.connectionState$.pipe(map((s) => [m.id, s] as const)))).pipe(
      map((pairs) => Object.freeze(Object.fromEntries(pairs))),
    );
    this.connectionState$ = this.health$.pipe(map(poolState), distinctUntilChanged());
  }

  /** Starts every member; resolves once all have tried, and rejects only when none started (with the first one's error). */
  async start(): Promise<this> {
    await this.onEvery((c) => c.start());
    return this;
  }

  /** Closes every member (see `CodexClient.close`). Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((m) => m.client.close()));
    for (const m of this.all) m.dispose();
  }

  /** `await using pool = new CodexPool(...)`: `close()` when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The handshake with every member (see `CodexClient.initialize`); resolves with the result of the
   * first member that completed it, and rejects only when none did (with the first one's error).
   */
  initialize(params: Record<string, unknown> = {}, opts: InitializeOptions = {}): Promise<InitializeResult> {
    return this.onEvery((c) => c.initialize(params, opts));
  }

  /** The server version of the first member that has done its handshake (null before any has). */
  get serverVersion(): string | null {
    return this.all.find((m) => m.client.serverVersion !== null)?.client.serverVersion ?? null;
  }

  /** The live routing state of all members, added up (each member's own: `members[i].client.stats`). */
  get stats(): EngineStats {
    const sum: Record<string, number> = {};
    for (const m of this.all) for (const [k, v] of Object.entries(m.client.stats)) sum[k] = (sum[k] ?? 0) + v;
    return sum as unknown as EngineStats;
  }

  /**
   * One request, routed: `thread/start` to a placed member, `thread/list` across members (see
   * `listThreads`), a request whose params carry a `threadId` to that thread's member, any other to
   * the first member that is up.
   */
  request<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: RequestOptions = {}): Promise<ResultOf<M>> {
    if (method === 'thread/list') return this.listThreads(params as ListThreadsOptions) as Promise<ResultOf<M>>;
    const send = (c: CodexClient) => c.request(method, params, opts);
    const opened = (result: unknown) => (result as { thread: { id: string } }).thread.id;
    if (method === 'thread/start') return this.router.onNew({}, send, opened).then((r) => r.value);
    const threadId = (params as { threadId?: unknown } | undefined)?.threadId;
    if (typeof threadId !== 'string') return this.router.onPrimary(send);
    return this.router.owner(threadId).then(async (m) => {
      const result = await this.router.on(m, send);
      // thread/fork (and resume) open a thread on the same member
      const id = (result as { thread?: { id?: unknown } } | null)?.thread?.id;
      if (typeof id === 'string') this.router.routes.learn(id, m);
      return result;
    });
  }

  /** Cold: each subscription sends `request` (routed the same way) and emits its result. */
  request$<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts: RequestOptions = {}): Observable<ResultOf<M>> {
    return defer(() => this.request(method, params, opts));
  }

  // ---- turns ----------------------------------------------------------------------------------

  /** `CodexClient.chat` on the thread's member; without a thread, on a placed member (see `PlacementOptions`). Cold. */
  chat(text?: ChatInput, options: PoolChatOptions = {}): Observable<ConversationStep> {
    return this.router.chat$(options, (c, o) => c.chat(text, o));
  }

  /** `CodexClient.chatEvents`, routed like `chat`. Cold. */
  chatEvents(text?: ChatInput, options: PoolChatOptions = {}): Observable<TurnEvent> {
    return this.router.chat$(options, (c, o) => c.chatEvents(text, o));
  }

  /** `chat` for `for await` (see `CodexClient.chatIterable`). */
  chatIterable(text?: ChatInput, options: PoolChatIterableOptions = {}): AsyncIterable<ConversationStep> {
    return stepsIterable((o) => this.chat(text, o), options);
  }

  /** `chatEvents` for `for await` (see `CodexClient.chatEventsIterable`). */
  chatEventsIterable(text?: ChatInput, options: PoolChatIterableOptions = {}): AsyncIterable<TurnEvent> {
    return eventsIterable((o) => this.chatEvents(text, o), options);
  }

  /** `CodexClient.chatOnce`, routed like `chat`. */
  async chatOnce(text?: ChatInput, options: PoolChatOptions = {}): Promise<ChatResult> {
    const { key, ...rest } = options;
    const threadId = rest.continuation?.threadId ?? rest.threadId;
    if (threadId !== undefined) return this.router.onThread(threadId, (c) => c.chatOnce(text, rest));
    return (
      await this.router.onNew(
        { key },
        (c) => c.chatOnce(text, rest),
        (r) => r.threadId,
      )
    ).value;
  }

  /** `CodexClient.cancel` on the continuation's thread's member. */
  async cancel(continuation: ChatContinuation, opts: CancelOptions = {}): Promise<CancelResult> {
    return this.router.onThread(continuation.threadId, (c) => c.cancel(continuation, opts));
  }

  /**
   * `CodexClient.interruptTurn`: with `opts.threadId` on that thread's member; without it, on the
   * member whose client runs the turn (a `TypeError` when none does).
   */
  async interruptTurn(turnId: string, opts: InterruptOptions = {}): Promise<void> {
    if (opts.threadId !== undefined) return this.router.onThread(opts.threadId, (c) => c.interruptTurn(turnId, opts));
    let unknown: unknown;
    for (const m of this.all) {
      // A member that does not run the turn refuses at once with a TypeError, sending nothing.
      try {
        return await m.client.interruptTurn(turnId, opts);
      } catch (e) {
        if (!(e instanceof TypeError)) throw poolFailure(e, m.id);
        unknown = e;
      }
    }
    throw unknown;
  }

  /** `CodexClient.steerTurn` on the thread's member. */
  steerTurn(args: SteerTurnArgs): Promise<ResultOf<'turn/steer'>> {
    return this.router.onThread(args.threadId, (c) => c.steerTurn(args));
  }

  /** `CodexClient.threadView$` on the thread's member. Cold. */
  threadView$(threadId: string): Observable<ThreadView> {
    return defer(() => this.router.owner(threadId)).pipe(mergeMap((m) => m.client.threadView$(threadId).pipe(catchError(failure$(m)))));
  }

  // ---- approvals, user input, server requests -------------------------------------------------

  /** Sets the approval handler of every member (see `CodexClient.setApprovalHandler`). */
  setApprovalHandler(handler: ApprovalHandler | null): void {
    for (const m of this.all) m.client.setApprovalHandler(handler);
  }

  /** Sets the user-input handler of every member (see `CodexClient.setUserInputHandler`). */
  setUserInputHandler(handler: UserInputHandler | null): void {
    for (const m of this.all) m.client.setUserInputHandler(handler);
  }

  /** Registers `handler` on every member (see `CodexClient.onServerRequest`); unsubscribing removes it from all. */
  onServerRequest<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): Subscription {
    const all = new Subscription();
    for (const m of this.all) all.add(m.client.onServerRequest(method, handler));
    return all;
  }

  /** Answers a pending approval request on the member of its thread (see `CodexClient.respondApproval`). */
  respondApproval(request: ApprovalRequest, decision: ApprovalDecision): Promise<void> {
    return this.router.onThread(request.threadId, (c) => c.respondApproval(request, decision));
  }

  /** Accepts a pending approval request on the member of its thread (see `CodexClient.approveApproval`). */
  approveApproval(request: ApprovalRequest, opts: ApproveOptions = {}): Promise<void> {
    return this.router.onThread(request.threadId, (c) => c.approveApproval(request, opts));
  }

  /** Declines a pending approval request on the member of its thread. */
  declineApproval(request: ApprovalRequest): Promise<void> {
    return this.router.onThread(request.threadId, (c) => c.declineApproval(request));
  }

  /** Answers a pending approval request `cancel` on the member of its thread. */
  cancelApproval(request: ApprovalRequest): Promise<void> {
    return this.router.onThread(request.threadId, (c) => c.cancelApproval(request));
  }

  // ---- threads ----------------------------------------------------------------------------------

  /** Starts a thread on a placed member (see `PlacementOptions`) and returns its handle over the pool. */
  async startThread(config: ThreadConfig = {}, placement: PlacementOptions = {}): Promise<ThreadHandle> {
    const { value, member } = await this.router.onNew(
      placement,
      (c) => c.startThread(config),
      (h) => h.threadId,
    );
    return this.adopt(value, member);
  }

  /** Loads a thread on its member (see `CodexClient.resumeThread`); a thread the pool does not know is looked for on every member. */
  async resumeThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const m = await this.router.owner(threadId);
    return this.adopt(await this.router.on(m, (c) => c.resumeThread(threadId, opts)), m);
  }

  /** Forks a thread on its member (the history lives there); the new thread stays on that member. */
  async forkThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const m = await this.router.owner(threadId);
    return this.adopt(await this.router.on(m, (c) => c.forkThread(threadId, opts)), m);
  }

  /** `CodexClient.readThread` on the thread's member. */
  readThread(threadId: string, opts: ReadThreadOptions = {}): Promise<ResultOf<'thread/read'>> {
    return this.router.onThread(threadId, (c) => c.readThread(threadId, opts));
  }

  /**
   * One page of the threads of every member that is not closed, merged in the order asked (the
   * server's default: `created_at`, newest first), at most `limit`. Pass `nextCursor` back for the
   * next page: it holds each member's position. `backwardsCursor` is null.
   */
  listThreads(opts: ListThreadsOptions = {}): Promise<ResultOf<'thread/list'>> {
    return listAcross(this.all, opts, (id, m) => this.router.routes.learnIfNew(id, m));
  }

  /** `CodexClient.archiveThread` on the thread's member. */
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>> {
    return this.router.onThread(threadId, (c) => c.archiveThread(threadId));
  }

  /** `CodexClient.unarchiveThread` on the thread's member. */
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>> {
    return this.router.onThread(threadId, (c) => c.unarchiveThread(threadId));
  }

  /** `CodexClient.setThreadName` on the thread's member. */
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>> {
    return this.router.onThread(threadId, (c) => c.setThreadName(threadId, name));
  }

  /** `CodexClient.compactThread` on the thread's member. */
  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>> {
    return this.router.onThread(threadId, (c) => c.compactThread(threadId));
  }

  /** `CodexClient.rollbackThread` on the thread's member. */
  rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>> {
    return this.router.onThread(threadId, (c) => c.rollbackThread(threadId, opts));
  }

  /** `CodexClient.setThreadDefaults` on the thread's member. */
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>> {
    return this.router.onThread(threadId, (c) => c.setThreadDefaults(threadId, overrides));
  }

  /** `CodexClient.startReview` on the thread's member. */
  startReview(args: StartReviewArgs): Promise<ResultOf<'review/start'>> {
    return this.router.onThread(args.threadId, (c) => c.startReview(args));
  }

  // ---- no thread: the first member that is up ---------------------------------------------------

  /** `CodexClient.listModels` on the first member that is up. */
  listModels(opts: ListModelsOptions = {}): Promise<ResultOf<'model/list'>> {
    return this.router.onPrimary((c) => c.listModels(opts));
  }

  /** `CodexClient.readConfig` on the first member that is up. */
  readConfig(opts: ReadConfigOptions = {}): Promise<ResultOf<'config/read'>> {
    return this.router.onPrimary((c) => c.readConfig(opts));
  }

  /** `CodexClient.readConfigRequirements` on the first member that is up. */
  readConfigRequirements(): Promise<ResultOf<'configRequirements/read'>> {
    return this.router.onPrimary((c) => c.readConfigRequirements());
  }

  /** `CodexClient.writeConfigValue` on the first member that is up (another member's: `members[i].client`). */
  writeConfigValue(args: WriteConfigValueArgs): Promise<ResultOf<'config/value/write'>> {
    return this.router.onPrimary((c) => c.writeConfigValue(args));
  }

  /** `CodexClient.batchWriteConfig` on the first member that is up (another member's: `members[i].client`). */
  batchWriteConfig(edits: object[], opts: BatchWriteConfigOptions = {}): Promise<ResultOf<'config/batchWrite'>> {
    return this.router.onPrimary((c) => c.batchWriteConfig(edits, opts));
  }

  /** `CodexClient.execCommand` on the first member that is up. */
  execCommand(command: string[], opts: ExecCommandOptions = {}): Promise<ResultOf<'command/exec'>> {
    return this.router.onPrimary((c) => c.execCommand(command, opts));
  }

  // ---- environments (experimental): every member may hold threads placed on one -------------------

  /**
   * **Experimental:** `CodexClient.addEnvironment` on every member at once, so a thread on any
   * member can be placed on it; resolves once one member has it (each member adds it again after
   * its own reconnect or restart). A member that is down when it is added does not get it.
   */
  addEnvironment(spec: EnvironmentSpec): Promise<void> {
    return this.onEvery((c) => c.addEnvironment(spec));
  }

  /** **Experimental:** `CodexClient.environmentStatus` as the first member that is up sees it (another member's: `members[i].client`). */
  environmentStatus(id: string): Promise<ResultOf<'environment/status'>> {
    return this.router.onPrimary((c) => c.environmentStatus(id));
  }

  /** **Experimental:** `CodexClient.environmentInfo` on the first member that is up. */
  environmentInfo(id: string): Promise<ResultOf<'environment/info'>> {
    return this.router.onPrimary((c) => c.environmentInfo(id));
  }

  /** The id of the member a thread routes to (looked for on the members when the pool does not know it). */
  async memberOf(threadId: string): Promise<string> {
    return (await this.router.owner(threadId)).id;
  }

  /** `call` on every member at once: the first member's result that succeeded; all failed: the first failure. */
  private async onEvery<T>(call: (c: CodexClient) => Promise<T>): Promise<T> {
    const settled = await Promise.allSettled(this.all.map((m) => this.router.on(m, call)));
    const ok = settled.find((s) => s.status === 'fulfilled');
    if (ok) return ok.value;
    throw (settled[0] as PromiseRejectedResult).reason;
  }

  private adopt(h: ThreadHandle, m: Member): ThreadHandle {
    this.router.routes.learn(h.threadId, m);
    return new ThreadHandle(this, h.threadId, h.defaults);
  }
}

function poolState(states: Readonly<Record<string, ConnectionState>>): ConnectionState {
  const all = Object.values(states);
  for (const s of ['connected', 'connecting', 'reconnecting'] as const) if (all.includes(s)) return s;
  return 'closed';
}
