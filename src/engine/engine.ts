import { type Observable, Subscription } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../models';
import type { InterruptOptions } from '../options';
import {
  explain,
  isItemCompletedParams,
  isTurnCompletedParams,
  ItemCompletedParamsCodec,
  ServerRequestResolvedParamsCodec,
  ThreadStatusChangedParamsCodec,
  TurnCompletedParamsCodec,
} from '../protocol/codecs';
import { threadIdOf, turnIdOf } from '../protocol/items';
import type { JsonRpcNotification, JsonRpcRequest } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';
import { BufferBudget } from './buffer-budget';
import { ClientTools } from './client-tools';
import { Environments } from './environments';
import { Handshake } from './handshake';
import { IdleRecovery } from './idle-recovery';
import { Interrupts } from './interrupts';
import { ConnectionState, LinkRecovery } from './link-recovery';
import type { ServerRequestHandler } from './request-handlers';
import { CALL, EngineRequests } from './requests';
import { ServerRequestDesk } from './server-requests';
import type { ServerRequestMethod } from '../protocol/server-messages';
import { recentTurns, type StoredTurn } from './stored-turns';
import type { UserInputHandler } from './user-input';
import type { EngineSettings } from './settings';
import { ThreadQueue } from './thread-queue';
import { ThreadRegistry } from './thread-registry';
import { TurnRouter } from './turn-router';
import { Turns } from './turns';

/** Live routing state, for leak checks. */
export interface EngineStats {
  /** Turns with a session (running, or suspended after an inactivity timeout). */
  readonly turns: number;
  /** Threads with a turn/start in flight. */
  readonly waitingThreads: number;
  /** Threads a chat of this client is consuming a turn on (others wait behind it: see ThreadQueue). */
  readonly busyThreads: number;
  /** Requests awaiting an answer. */
  readonly pendingRequests: number;
  /** Approval requests awaiting an answer. */
  readonly pendingApprovals: number;
  /** Scheduled idle-without-turn/completed checks. */
  readonly idleChecks: number;
  /** Bytes held for suspended turns (bounded by `maxBufferedBytes`). */
  readonly bufferedBytes: number;
}

/**
 * The one owner of turn state. The connection hands it every notification and server request; it
 * routes them to turns (router and sessions), answers server requests (the desk), ends turns the
 * server forgot to end (idle recovery), and knows the threads this connection opened. The client
 * composes it and stays off the frame path.
 */
export class CodexEngine {
  readonly handshake: Handshake;
  /** The one request path (see `CallRules`): the client's requests and the engine's own. */
  readonly requests: EngineRequests;
  readonly threads: ThreadRegistry;
  readonly turns: Turns;
  /** The environments this client added and where its threads are placed (experimental API). */
  readonly environments: Environments;
  /** Every approval request (observational: the handler, or the manual answer, still decides). */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  /** Where the connection is (current value replayed). */
  readonly connectionState$: Observable<ConnectionState>;
  private readonly router: TurnRouter;
  private readonly budget: BufferBudget;
  private readonly desk: ServerRequestDesk;
  private readonly recovery: IdleRecovery;
  private readonly queue = new ThreadQueue();
  private readonly interrupts: Interrupts;
  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly settings: EngineSettings,
  ) {
    const { scheduler } = settings;
    this.budget = new BufferBudget(settings.maxBufferedBytes);
    this.router = new TurnRouter(this.budget, (frame, s) =>
      connection.report({
        kind: 'protocol',
        message: `dropped a frame of turn ${s.turnId} that names thread ${String(threadIdOf(frame))}; the turn runs on thread ${s.threadId}`,
        detail: frame,
      }),
    );
    this.requests = new EngineRequests(connection, () => this.handshake.ready());
    this.handshake = new Handshake(connection, this.requests, settings.clientInfo, settings.capabilities);
    const tools = new ClientTools(settings.experimentalApi);
    const open = this.requests.bind(CALL.user);
    this.threads = new ThreadRegistry((method, params) => this.environments.opening(method, params, () => open(method, params)), tools);
    this.desk = new ServerRequestDesk(connection, {
      manual: settings.approvalMode === 'manual',
      handlerTimeoutMs: settings.handlerTimeoutMs,
      scheduler,
      tools,
    });
    this.approvalRequests$ = this.desk.approvalRequests$;
    this.recovery = new IdleRecovery({
      router: this.router,
      scheduler,
      graceMs: settings.idleGraceMs,
      readTurns: (threadId) => this.readTurns(threadId),
      report: (diagnostic) => connection.report(diagnostic),
    });
    this.interrupts = new Interrupts(this.requests, this.router, scheduler, settings.requestTimeoutMs);
    this.environments = new Environments({
      connection,
      requests: this.requests,
      router: this.router,
      interrupts: this.interrupts,
      scheduler,
      experimentalApi: settings.experimentalApi,
      probeMs: settings.environmentProbeMs,
    });
    this.turns = new Turns({
      settings,
      connection,
      requests: this.requests,
      handshake: this.handshake,
      threads: this.threads,
      router: this.router,
      desk: this.desk,
      recovery: this.recovery,
      queue: this.queue,
      interrupts: this.interrupts,
      environments: this.environments,
    });
    const links = new LinkRecovery({
      connection,
      requests: this.requests,
      handshake: this.handshake,
      router: this.router,
      threads: this.threads,
      desk: this.desk,
      interrupts: this.interrupts,
      recovery: this.recovery,
    });
    this.connectionState$ = links.state$;
    // The connection publishes; the engine subscribes, and lets go when the connection ends.
    const registrations = new Subscription();
    registrations.add(connection.handleNotifications((n) => this.onNotification(n)));
    registrations.add(connection.handleServerRequests((r) => this.onRequestFrame(r)));
    connection.onClose((err) => {
      registrations.unsubscribe();
      this.router.failAll(err);
      this.recovery.dispose();
      this.desk.dispose();
      tools.clear();
      this.interrupts.clear(err);
      this.queue.clear();
    });
  }

  get stats(): EngineStats {
    return {
      turns: this.router.size,
      waitingThreads: this.router.waitingThreads,
      busyThreads: this.queue.size,
      pendingRequests: this.connection.pendingCount,
      pendingApprovals: this.desk.pendingCount,
      idleChecks: this.recovery.size,
      bufferedBytes: this.budget.usedBytes,
    };
  }

  setApprovalHandler(handler: ApprovalHandler | null): void {
    this.desk.setApprovalHandler(handler);
  }

  setUserInputHandler(handler: UserInputHandler | null): void {
    this.desk.setUserInputHandler(handler);
  }

  /** Answers `method` with `handler` until unsubscribed. */
  onServerRequest<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): Subscription {
    return this.desk.handlers.register(method, handler);
  }

  /** Answers a pending approval (manual mode, or ahead of the handler). */
  respondApproval(request: ApprovalRequest, decision: ApprovalDecision): void {
    this.desk.respondApproval(request, decision);
  }

  /**
   * Interrupts a running turn and resolves when the server acknowledged it. Asked for before the
   * server has started the turn, the interrupt is held until it has (see `Interrupts`).
   */
  async interruptTurn(turnId: string, opts: InterruptOptions = {}): Promise<void> {
    const threadId = opts.threadId ?? this.router.get(turnId)?.threadId;
    if (!threadId) throw new TypeError(`interruptTurn: unknown turn ${turnId}; pass opts.threadId`);
    // After the handshake (an outage, say), the interrupt's own timeout running while it waits.
    await this.interrupts.interrupt(threadId, turnId, { timeoutMs: opts.timeoutMs }, CALL.user);
  }

  private onNotification(n: JsonRpcNotification): void {
    const turnId = turnIdOf(n);
    if (n.method === 'item/completed' || n.method === 'turn/completed') this.checkTurnFrame(n, turnId);
    // The fast path: a turn's frame goes to its session by id.
    const routed = this.router.route(n, turnId);
    if (routed) {
      if (routed === 'routed' && n.method === 'turn/completed') this.desk.dropTurn(turnId!);
      return;
    }
    if (n.method === 'thread/status/changed') {
      if (ThreadStatusChangedParamsCodec.is(n.params)) {
        this.recovery.onThreadStatus(n.params.threadId, n.params.status.type);
        if (n.params.status.type === 'idle') this.interrupts.onThreadIdle(n.params.threadId);
      }
    } else if (n.method === 'serverRequest/resolved') {
      if (ServerRequestResolvedParamsCodec.is(n.params)) this.desk.resolved(n.params.requestId);
    } else if (n.method === 'thread/environment/disconnected' || n.method === 'thread/environment/connected') {
      this.environments.onNotification(n);
    } else if (n.method === 'turn/started' && turnId !== undefined) {
      this.interrupts.onStarted(turnId);
    } else if (n.method === 'turn/completed' && turnId !== undefined) {
      this.desk.dropTurn(turnId);
      this.interrupts.onEnded(turnId);
    }
  }

  /** A malformed item/turn completion is reported; with `strict` it also fails its turn. */
  private checkTurnFrame(n: JsonRpcNotification, turnId: string | undefined): void {
    const item = n.method === 'item/completed';
    if (item ? isItemCompletedParams(n.params) : isTurnCompletedParams(n.params)) return;
    const codec = item ? ItemCompletedParamsCodec : TurnCompletedParamsCodec;
    const error = new CodexProtocolError(`malformed ${n.method}: ${explain(codec, n.params)}`, { data: n });
    this.connection.report({ kind: 'invalid-frame', message: error.message, detail: n, error });
    if (this.settings.strict && turnId !== undefined) this.router.get(turnId)?.fail(error);
  }

  private onRequestFrame(r: JsonRpcRequest): void {
    // The desk first: it records a pending approval before the turn's consumers see the request.
    this.desk.handle(r);
    this.router.route(r, turnIdOf(r));
  }

  /** The thread's newest turns (`thread/turns/list`; `thread/read` on servers without it). */
  private readTurns(threadId: string): Promise<readonly StoredTurn[]> {
    // Every item: a turn ended from them gets the ones it missed (see IdleRecovery).
    return recentTurns(this.requests.bind(CALL.engine), threadId, 'full');
  }
}
