import {
  catchError,
  combineLatest,
  defer,
  distinctUntilChanged,
  finalize,
  map,
  merge,
  mergeMap,
  Observable,
  Subscription,
  tap,
  throwError,
} from 'rxjs';
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
  InitializeResult,
  ThreadConfig,
  TurnEvent,
} from '../models';
import type {
  ApproveOptions,
  BatchWriteConfigOptions,
  CancelOptions,
  ChatIterableOptions,
  ChatOptions,
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
import { byKey, candidates, leastBusy, makeMembers, type Member, type PoolMember, type PoolMemberSource } from './members';
import { poolFailure } from './pool-error';
import { ThreadRoutes } from './thread-routes';

/** Options of a `CodexPool`. */
export interface PoolOptions {
  /** The app-servers behind the pool: clients (unstarted or started) or factories of them, optionally with ids. */
  members: readonly PoolMemberSource[];
  /**
   * Picks the member of a new thread that has a placement `key`, from the members that take new
   * threads (those up, else those reconnecting); returns its id. Default: rendezvous hashing of the
   * key over those members' ids (stable while they stay up).
   */
  place?: (key: string, members: readonly PoolMember[]) => string;
  /** Thread ids whose member the pool remembers; the least recently used are forgotten and found again by asking the members. Default 100,000 (`DEFAULTS.poolRoutedThreads`). */
  maxRoutedThreads?: number;
}

/** Where a new thread goes: without a `key`, to the least busy member. */
export interface PlacementOptions {
  /** Places the new thread by this key (a tenant, a user, a repository): `PoolOptions.place`, or a stable hash. */
  key?: string;
}

/** `ChatOptions` of a pool: a chat that starts a thread may say where (`key`). */
export type PoolChatOptions = ChatOptions & PlacementOptions;

/** `ChatIterableOptions` of a pool, with the placement `key`. */
export type PoolChatIterableOptions = ChatIterableOptions & PlacementOptions;

type WithThread = { readonly threadId: string };

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
  /** Each member's `connectionState$` by member id, as one record; a new subscriber gets the current states first. */
  readonly health$: Observable<Readonly<Record<string, ConnectionState>>>;
  /**
   * The pool's state: `connected` while any member is, else `connecting` or `reconnecting` while
   * any member is, `closed` once every member is.
   */
  readonly connectionState$: Observable<ConnectionState>;

  private readonly all: Member[];
  private readonly routes: ThreadRoutes;
  private readonly place?: PoolOptions['place'];

  /** A pool over `options.members`; nothing is started until `start()` or the first call. */
  constructor(options: PoolOptions) {
    this.all = makeMembers(options.members);
    this.members = this.all;
    this.place = options.place;
    this.routes = new ThreadRoutes(this.all, options.maxRoutedThreads ?? DEFAULTS.poolRoutedThreads);
    const clients = this.all.map((m) => m.client);
    this.frames$ = merge(...clients.map((c) => c.frames$));
    this.framesOut$ = merge(...clients.map((c) => c.framesOut$));
    this.notifications$ = merge(...clients.map((c) => c.notifications$));
    this.serverRequests$ = merge(...clients.map((c) => c.serverRequests$));
    this.approvalRequests$ = merge(...clients.map((c) => c.approvalRequests$));
    this.diagnostics$ = merge(...clients.map((c) => c.diagnostics$));
    this.health$ = combineLatest(this.all.map((m) => m.client.connectionState$.pipe(map((s) => [m.id, s] as const)))).pipe(
      map((pairs) => Object.freeze(Object.fromEntries(pairs))),
    );
    this.connectionState$ = this.health$.pipe(map(poolState), distinctUntilChanged());
  }

  /** Starts every member; resolves once all have tried, and rejects only when none started (with the first one's error). */
  async start(): Promise<this> {
    const started = await Promise.allSettled(this.all.map((m) => m.client.start()));
    const failed = started.findIndex((s) => s.status === 'rejected');
    if (started.every((s) => s.status === 'rejected'))
      throw poolFailure((started[failed] as PromiseRejectedResult).reason, this.all[failed]!.id);
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

  /** The handshake with every member that is not closed; resolves with the first one's result (see `CodexClient.initialize`). */
  async initialize(params: Record<string, unknown> = {}, opts: InitializeOptions = {}): Promise<InitializeResult> {
    const up = this.all.filter((m) => m.state !== 'closed');
    const results = await Promise.all(up.map((m) => m.client.initialize(params, opts).catch(this.failure(m))));
    return results[0]!;
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
    const threadId = (params as { threadId?: unknown } | undefined)?.threadId;
    const member =
      method === 'thread/start'
        ? Promise.resolve(this.placed())
        : typeof threadId === 'string'
          ? this.owner(threadId)
          : Promise.resolve(this.primary());
    return member.then((m) =>
      m.client.request(method, params, opts).then((result) => {
        const opened = (result as { thread?: { id?: unknown } } | null)?.thread?.id;
        if (typeof opened === 'string') this.routes.learn(opened, m);
        return result;
      }, this.failure(m)),
    );
  }

  // ---- turns ----------------------------------------------------------------------------------

  /** `CodexClient.chat` on the thread's member; without a thread, on a placed member (see `PlacementOptions`). Cold. */
  chat(text?: ChatInput, options: PoolChatOptions = {}): Observable<ConversationStep> {
    return this.routed$(options, (c, o) => c.chat(text, o));
  }

  /** `CodexClient.chatEvents`, routed like `chat`. Cold. */
  chatEvents(text?: ChatInput, options: PoolChatOptions = {}): Observable<TurnEvent> {
    return this.routed$(options, (c, o) => c.chatEvents(text, o));
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
    if (threadId !== undefined) {
      const m = await this.owner(threadId);
      return m.client.chatOnce(text, rest).catch(this.failure(m));
    }
    const m = this.placed(key);
    m.opening++;
    try {
      const result = await m.client.chatOnce(text, rest).catch(this.failure(m));
      this.routes.learn(result.threadId, m);
      return result;
    } finally {
      m.opening--;
    }
  }

  /** `CodexClient.cancel` on the continuation's thread's member. */
  async cancel(continuation: ChatContinuation, opts: CancelOptions = {}): Promise<CancelResult> {
    return this.onThread(continuation.threadId, (c) => c.cancel(continuation, opts));
  }

  /**
   * `CodexClient.interruptTurn`: with `opts.threadId` on that thread's member; without it, on the
   * member whose client runs the turn (a `TypeError` when none does).
   */
  async interruptTurn(turnId: string, opts: InterruptOptions = {}): Promise<void> {
    if (opts.threadId !== undefined) return this.onThread(opts.threadId, (c) => c.interruptTurn(turnId, opts));
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
    return this.onThread(args.threadId, (c) => c.steerTurn(args));
  }

  /** `CodexClient.threadView$` on the thread's member. Cold. */
  threadView$(threadId: string): Observable<ThreadView> {
    return defer(() => this.owner(threadId)).pipe(
      mergeMap((m) => m.client.threadView$(threadId).pipe(catchError((e: unknown) => throwError(() => poolFailure(e, m.id))))),
    );
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
    return this.onThread(request.threadId, (c) => c.respondApproval(request, decision));
  }

  /** Accepts a pending approval request on the member of its thread (see `CodexClient.approveApproval`). */
  approveApproval(request: ApprovalRequest, opts: ApproveOptions = {}): Promise<void> {
    return this.onThread(request.threadId, (c) => c.approveApproval(request, opts));
  }

  /** Declines a pending approval request on the member of its thread. */
  declineApproval(request: ApprovalRequest): Promise<void> {
    return this.onThread(request.threadId, (c) => c.declineApproval(request));
  }

  /** Answers a pending approval request `cancel` on the member of its thread. */
  cancelApproval(request: ApprovalRequest): Promise<void> {
    return this.onThread(request.threadId, (c) => c.cancelApproval(request));
  }

  // ---- threads ----------------------------------------------------------------------------------

  /** Starts a thread on a placed member (see `PlacementOptions`) and returns its handle over the pool. */
  async startThread(config: ThreadConfig = {}, placement: PlacementOptions = {}): Promise<ThreadHandle> {
    const m = this.placed(placement.key);
    m.opening++;
    try {
      const h = await m.client.startThread(config).catch(this.failure(m));
      return this.adopt(h, m);
    } finally {
      m.opening--;
    }
  }

  /** Loads a thread on its member (see `CodexClient.resumeThread`); a thread the pool does not know is looked for on every member. */
  async resumeThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const m = await this.owner(threadId);
    return this.adopt(await m.client.resumeThread(threadId, opts).catch(this.failure(m)), m);
  }

  /** Forks a thread on its member (the history lives there); the new thread stays on that member. */
  async forkThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const m = await this.owner(threadId);
    return this.adopt(await m.client.forkThread(threadId, opts).catch(this.failure(m)), m);
  }

  /** `CodexClient.readThread` on the thread's member. */
  readThread(threadId: string, opts: ReadThreadOptions = {}): Promise<ResultOf<'thread/read'>> {
    return this.onThread(threadId, (c) => c.readThread(threadId, opts));
  }

  /**
   * One page of the threads of every member that is not closed, merged in the order asked (the
   * server's default: `created_at`, newest first), at most `limit`. Pass `nextCursor` back for the
   * next page: it holds each member's position. `backwardsCursor` is null.
   */
  listThreads(opts: ListThreadsOptions = {}): Promise<ResultOf<'thread/list'>> {
    return listAcross(this.all, opts, (id, m) => this.routes.learnIfNew(id, m));
  }

  /** `CodexClient.archiveThread` on the thread's member. */
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>> {
    return this.onThread(threadId, (c) => c.archiveThread(threadId));
  }

  /** `CodexClient.unarchiveThread` on the thread's member. */
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>> {
    return this.onThread(threadId, (c) => c.unarchiveThread(threadId));
  }

  /** `CodexClient.setThreadName` on the thread's member. */
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>> {
    return this.onThread(threadId, (c) => c.setThreadName(threadId, name));
  }

  /** `CodexClient.compactThread` on the thread's member. */
  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>> {
    return this.onThread(threadId, (c) => c.compactThread(threadId));
  }

  /** `CodexClient.rollbackThread` on the thread's member. */
  rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>> {
    return this.onThread(threadId, (c) => c.rollbackThread(threadId, opts));
  }

  /** `CodexClient.setThreadDefaults` on the thread's member. */
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>> {
    return this.onThread(threadId, (c) => c.setThreadDefaults(threadId, overrides));
  }

  /** `CodexClient.startReview` on the thread's member. */
  startReview(args: StartReviewArgs): Promise<ResultOf<'review/start'>> {
    return this.onThread(args.threadId, (c) => c.startReview(args));
  }

  // ---- no thread: the first member that is up ---------------------------------------------------

  /** `CodexClient.listModels` on the first member that is up. */
  listModels(opts: ListModelsOptions = {}): Promise<ResultOf<'model/list'>> {
    return this.onPrimary((c) => c.listModels(opts));
  }

  /** `CodexClient.readConfig` on the first member that is up. */
  readConfig(opts: ReadConfigOptions = {}): Promise<ResultOf<'config/read'>> {
    return this.onPrimary((c) => c.readConfig(opts));
  }

  /** `CodexClient.readConfigRequirements` on the first member that is up. */
  readConfigRequirements(): Promise<ResultOf<'configRequirements/read'>> {
    return this.onPrimary((c) => c.readConfigRequirements());
  }

  /** `CodexClient.writeConfigValue` on the first member that is up (another member's: `members[i].client`). */
  writeConfigValue(args: WriteConfigValueArgs): Promise<ResultOf<'config/value/write'>> {
    return this.onPrimary((c) => c.writeConfigValue(args));
  }

  /** `CodexClient.batchWriteConfig` on the first member that is up (another member's: `members[i].client`). */
  batchWriteConfig(edits: object[], opts: BatchWriteConfigOptions = {}): Promise<ResultOf<'config/batchWrite'>> {
    return this.onPrimary((c) => c.batchWriteConfig(edits, opts));
  }

  /** `CodexClient.execCommand` on the first member that is up. */
  execCommand(command: string[], opts: ExecCommandOptions = {}): Promise<ResultOf<'command/exec'>> {
    return this.onPrimary((c) => c.execCommand(command, opts));
  }

  /** The id of the member a thread routes to (looked for on the members when the pool does not know it). */
  async memberOf(threadId: string): Promise<string> {
    return (await this.owner(threadId)).id;
  }

  // ---- routing ----------------------------------------------------------------------------------

  /** A chat routed to its thread's member, or to a placed one that learns the new thread's id from its first value. */
  private routed$<T extends WithThread>(options: PoolChatOptions, call: (c: CodexClient, o: ChatOptions) => Observable<T>): Observable<T> {
    const { key, ...rest } = options;
    const threadId = rest.continuation?.threadId ?? rest.threadId;
    if (threadId !== undefined) {
      return defer(() => this.owner(threadId)).pipe(mergeMap((m) => call(m.client, rest).pipe(catchError(this.failure$(m)))));
    }
    return defer(() => {
      const m = this.placed(key);
      m.opening++;
      let opening = true;
      const settle = () => opening && ((opening = false), m.opening--);
      return call(m.client, rest).pipe(
        tap((v) => opening && (this.routes.learn(v.threadId, m), settle())),
        finalize(settle),
        catchError(this.failure$(m)),
      );
    });
  }

  private async onThread<T>(threadId: string, call: (c: CodexClient) => Promise<T>): Promise<T> {
    const m = await this.owner(threadId);
    return call(m.client).catch(this.failure(m));
  }

  private async onPrimary<T>(call: (c: CodexClient) => Promise<T>): Promise<T> {
    const m = this.primary();
    return call(m.client).catch(this.failure(m));
  }

  private owner(threadId: string): Promise<Member> {
    return this.routes.owner(threadId);
  }

  /** The first member listed that is up (else reconnecting): methods without a thread go there. */
  private primary(): Member {
    return candidates(this.all)[0]!;
  }

  /** The member of a new thread: by `key` (the user's `place`, or a hash), else the least busy. */
  private placed(key?: string): Member {
    const open = candidates(this.all);
    if (key === undefined) return leastBusy(open);
    if (!this.place) return byKey(key, open);
    const id = this.place(key, open);
    const m = open.find((x) => x.id === id);
    if (!m)
      throw new TypeError(
        `PoolOptions.place returned ${String(id)}, not the id of a member that takes threads (${open.map((x) => x.id).join(', ')})`,
      );
    return m;
  }

  private adopt(h: ThreadHandle, m: Member): ThreadHandle {
    this.routes.learn(h.threadId, m);
    return new ThreadHandle(this, h.threadId, h.defaults);
  }

  private failure(m: Member): (e: unknown) => never {
    return (e) => {
      throw poolFailure(e, m.id);
    };
  }

  private failure$(m: Member): (e: unknown) => Observable<never> {
    return (e) => throwError(() => poolFailure(e, m.id));
  }
}

function poolState(states: Readonly<Record<string, ConnectionState>>): ConnectionState {
  const all = Object.values(states);
  for (const s of ['connected', 'connecting', 'reconnecting'] as const) if (all.includes(s)) return s;
  return 'closed';
}
