import { concat, defer, from, Observable, of, SchedulerLike, Subject, Subscription, take, TimeoutError } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../models';
import { ApprovalReply, decide, fromHandler } from '../operators/intercept-approvals';
import { approvalResponse, isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import { DynamicToolCallParamsCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import type { DynamicToolCallParams } from '../protocol/generated/v2/DynamicToolCallParams';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcRequest } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';
import type { ClientTools } from './client-tools';
import { PendingApprovals } from './pending-approvals';
import { defaultReply, type Reply, ServerRequestHandlers, toolFailure } from './request-handlers';
import { parseUserInputRequest, UserInputHandler, userInputResponse } from './user-input';

/** How the desk answers. */
export interface DeskOptions {
  /** Approvals without a handler wait for `respondApproval` instead of being declined. */
  readonly manual: boolean;
  /** A handler that has not answered after this long: decline / error reply; null = no limit. */
  readonly handlerTimeoutMs: number | null;
  /** The clock of those timeouts. */
  readonly scheduler: SchedulerLike;
  /** The client-side tools of each thread (`item/tool/call`). */
  readonly tools: ClientTools;
}

/**
 * Answers every server request, exactly once, whoever is subscribed to the turn: a method with an
 * `onServerRequest` handler through it; else approvals through their handler (or manual mode, or
 * decline), user input through its handler, tool calls through the thread's tools, and every other
 * method of the protocol with its safe default (`defaultReply`); a method the protocol lacks gets
 * -32601. Its record of pending approvals is the only one: a turn's
 * inactivity clock pauses while it holds one of the turn's. A request is answered only on the link
 * it came on: the server of a new link numbers its requests anew, so an answer for a request of a
 * dropped link would answer another request there.
 */
export class ServerRequestDesk {
  /** Every approval request; a late subscriber first gets those still pending. */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  private readonly approvals = new Subject<ApprovalRequest>();
  private readonly pending = new PendingApprovals();
  private handler: ApprovalHandler | null = null;
  private userInputHandler: UserInputHandler | null = null;
  /** Handlers still deciding, of the current link. */
  private readonly deciding = new Set<Subscription>();
  /** Those of them whose answer is moot once their turn ends (tools and `onServerRequest` handlers). */
  private readonly decidingPerTurn = new Map<string, Set<Subscription>>();
  /** `onServerRequest` registrations. */
  readonly handlers = new ServerRequestHandlers();
  /** Methods whose default answer was reported (one diagnostic each). */
  private readonly defaultsReported = new Set<string>();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly options: DeskOptions,
  ) {
    this.approvalRequests$ = defer(() => concat(from(this.pending.requests()), this.approvals));
  }

  /** Approval requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** True while an approval request of `turnId` waits for an answer. */
  hasPendingFor(turnId: string): boolean {
    return this.pending.hasTurn(turnId);
  }

  setApprovalHandler(handler: ApprovalHandler | null): void {
    this.handler = handler;
  }

  setUserInputHandler(handler: UserInputHandler | null): void {
    this.userInputHandler = handler;
  }

  /** Handles one server request frame (of the connection's current link). */
  handle(request: JsonRpcRequest): void {
    const link = this.connection.link;
    const custom = this.handlers.get(request.method);
    if (custom) this.custom(request, link, custom);
    else if (isApprovalMethod(request.method)) this.approval(request, link);
    else if (request.method === 'item/tool/requestUserInput' && this.userInputHandler) this.userInput(request, link, this.userInputHandler);
    else if (request.method === 'item/tool/call' && this.isToolOfThread(request.params)) this.toolCall(request, link);
    else this.fallback(request, link);
  }

  /** Answers an approval that is still pending; `CodexProtocolError` otherwise. */
  respondApproval(request: ApprovalRequest, decision: ApprovalDecision): void {
    const payload = approvalResponse(request, decision); // TypeError for an invalid decision
    if (!this.pending.take(request)) {
      throw new CodexProtocolError(`approval request ${describeValue(request.requestId)} is no longer pending (answered or resolved)`);
    }
    this.send(this.connection.link, request.requestId, { result: payload });
  }

  /** The server resolved (or dropped) request `id` itself. */
  resolved(id: JsonRpcId): void {
    this.pending.takeId(id);
  }

  /**
   * The link dropped: nothing asked on it can be answered any more (a new link's server would take
   * the answer for one of its own requests). Handlers still deciding are unsubscribed, approvals
   * forgotten.
   */
  dropAll(): void {
    this.stopDeciding();
    this.pending.clear();
  }

  /** A turn ended: its pending approvals can no longer be answered, its tool calls' signals abort. */
  dropTurn(turnId: string): void {
    this.pending.takeTurn(turnId);
    this.stopDecidingFor(turnId);
  }

  /** The turn is being interrupted: its pending approvals are answered `cancel` now, its tool calls' signals abort. */
  cancelTurn(turnId: string): void {
    const link = this.connection.link;
    for (const request of this.pending.takeTurn(turnId))
      this.send(link, request.requestId, { result: approvalResponse(request, 'cancel') });
    this.stopDecidingFor(turnId);
  }

  dispose(): void {
    this.stopDeciding();
    this.pending.clear();
    this.approvals.complete();
  }

  /** Answers with the method's safe default (reported once per method), or -32601 for a method the protocol lacks. */
  private fallback(frame: JsonRpcRequest, link: number): void {
    const reply = defaultReply(frame.method, frame.params);
    if (!reply) {
      this.send(link, frame.id, {
        error: { code: ErrorCodes.MethodNotFound, message: `codex-rx has no handler for server request '${frame.method}'` },
      });
      return;
    }
    if (!this.defaultsReported.has(frame.method)) {
      this.defaultsReported.add(frame.method);
      const how = 'error' in reply ? `error: ${reply.error.message}` : `result ${describeValue(reply.result)}`;
      this.connection.report({
        kind: 'default-answer',
        message: `'${frame.method}' answered with codex-rx's default (${how}); register client.onServerRequest('${frame.method}', handler) to answer it`,
        detail: { method: frame.method },
      });
    }
    this.send(link, frame.id, reply);
  }

  /** An `onServerRequest` handler answers: its result, an error answer when it fails, the default when it gives none. */
  private custom(frame: JsonRpcRequest, link: number, handler: (params: any, ctx: any) => unknown): void {
    this.run(
      frame,
      link,
      (signal) => handler(frame.params, { requestId: frame.id, signal }),
      (err) => ({
        error: {
          code: ErrorCodes.InternalError,
          message: `${frame.method} handler failed: ${(err as Error)?.message ?? describeValue(err)}`,
        },
      }),
    );
  }

  private isToolOfThread(params: unknown): params is DynamicToolCallParams {
    return DynamicToolCallParamsCodec.is(params) && this.options.tools.has(params.threadId, params.namespace, params.tool);
  }

  /** A call of one of the thread's tools: its answer (failures are `success: false` answers, see `ClientTools.call`). */
  private toolCall(frame: JsonRpcRequest, link: number): void {
    const params = frame.params as DynamicToolCallParams;
    const late = (): Reply => ({
      result: toolFailure(`tool '${params.tool}' gave no answer within ${this.options.handlerTimeoutMs} ms`),
    });
    this.run(frame, link, (signal) => this.options.tools.call(params, signal), late, late);
  }

  /**
   * Runs a handler for one request and answers exactly once: its first value; `failed(err)` when it
   * throws or errors; `fallback()` (the method's default) when it times out or completes empty. Its signal aborts
   * when the answer is moot: the turn ended or was interrupted, the link dropped, the client closed.
   */
  private run(
    frame: JsonRpcRequest,
    link: number,
    call: (signal: AbortSignal) => unknown,
    failed: (err: unknown) => Reply,
    fallback: () => Reply = () => defaultReply(frame.method, frame.params) ?? failed(new Error('no answer')),
  ): void {
    const controller = new AbortController();
    let answered = false;
    const subscription = fromHandler(() => call(controller.signal), this.options.handlerTimeoutMs, this.options.scheduler)
      .pipe(take(1))
      .subscribe({
        next: (result) => {
          answered = true;
          this.send(link, frame.id, { result });
        },
        error: (err) => {
          answered = true;
          const timedOut = err instanceof TimeoutError;
          // The handler may still be working: tell it its answer is no longer wanted.
          if (timedOut) controller.abort(new Error(`no answer to ${frame.method} within ${this.options.handlerTimeoutMs} ms`));
          const message = timedOut ? `no answer within ${this.options.handlerTimeoutMs} ms; sent the default` : (err as Error)?.message;
          this.report(`${frame.method} handler failed for request ${describeValue(frame.id)}: ${message}`, err, frame);
          this.send(link, frame.id, timedOut ? fallback() : failed(err));
        },
        complete: () => {
          if (!answered) this.send(link, frame.id, fallback());
        },
      });
    subscription.add(() => {
      if (!answered) controller.abort(new Error(`the answer to ${frame.method} is no longer wanted`));
    });
    const turnId = (frame.params as { turnId?: unknown } | null)?.turnId;
    this.track(subscription, typeof turnId === 'string' ? turnId : undefined);
  }

  private approval(frame: JsonRpcRequest, link: number): void {
    const parsed = parseApprovalRequest(frame);
    if (!parsed.ok) {
      // Never pending: its error reply always goes.
      this.send(link, frame.id, { error: { code: ErrorCodes.InvalidParams, message: `invalid ${frame.method} params: ${parsed.field}` } });
      return;
    }
    const request = parsed.request;
    this.track(
      decide(
        (r) => this.decide(r),
        request,
        {
          scheduler: this.options.scheduler,
          // A request answered by hand or resolved by the server meanwhile is no handler failure.
          onHandlerError: (_, error) =>
            this.pending.has(request) &&
            this.report(
              `approval handler failed for request ${request.requestId}; declined: ${(error as Error)?.message ?? error}`,
              error,
              request,
            ),
        },
        (reply) => this.answer(link, frame.id, reply, request),
      ),
    );
  }

  private decide(request: ApprovalRequest): Observable<ApprovalDecision> {
    const entry = this.pending.add(request);
    this.approvals.next(request);
    const handler = this.handler;
    if (!handler) return this.options.manual ? entry.manual$ : of('decline' as const);
    return fromHandler(() => handler(request), this.options.handlerTimeoutMs, this.options.scheduler);
  }

  private answer(link: number, id: JsonRpcId, reply: ApprovalReply, request: ApprovalRequest): void {
    // An approval answered by hand or resolved meanwhile is not answered again; this very request
    // (not another one with its item, asked again on a new link) must still be pending.
    if (!this.pending.has(request) || !this.pending.take(request)) return;
    this.send(link, id, reply);
  }

  /** Keeps a handler's subscription until it answers, so that a dropped link (or the end of `turnId`) can end it. */
  private track(subscription: Subscription, turnId?: string): void {
    if (subscription.closed) return;
    this.deciding.add(subscription);
    subscription.add(() => this.deciding.delete(subscription));
    if (turnId === undefined) return;
    const ofTurn = this.decidingPerTurn.get(turnId) ?? new Set<Subscription>();
    this.decidingPerTurn.set(turnId, ofTurn);
    ofTurn.add(subscription);
    subscription.add(() => {
      ofTurn.delete(subscription);
      if (ofTurn.size === 0 && this.decidingPerTurn.get(turnId) === ofTurn) this.decidingPerTurn.delete(turnId);
    });
  }

  private stopDeciding(): void {
    for (const subscription of [...this.deciding]) subscription.unsubscribe();
  }

  private stopDecidingFor(turnId: string): void {
    const ofTurn = this.decidingPerTurn.get(turnId);
    if (ofTurn) for (const subscription of [...ofTurn]) subscription.unsubscribe();
  }

  private send(link: number, id: JsonRpcId, reply: { result: unknown } | { error: JsonRpcErrorObject }): void {
    // Asked on a link that is gone: the id now belongs to another request (or to none).
    if (link !== this.connection.link) return;
    try {
      if ('result' in reply) this.connection.respond(id, reply.result);
      else this.connection.respondError(id, reply.error);
    } catch {
      /* closed: nothing to answer any more */
    }
  }

  private report(message: string, error: unknown, detail: unknown): void {
    this.connection.report({ kind: 'handler-error', message, error: error instanceof Error ? error : undefined, detail });
  }

  private userInput(frame: JsonRpcRequest, link: number, handler: UserInputHandler): void {
    const fail = (message: string, code: number = ErrorCodes.InternalError) => this.send(link, frame.id, { error: { code, message } });
    const request = parseUserInputRequest(frame);
    if (!request) return fail('invalid item/tool/requestUserInput params', ErrorCodes.InvalidParams);
    let answered = false;
    this.track(
      fromHandler(() => handler(request), this.options.handlerTimeoutMs, this.options.scheduler)
        .pipe(take(1))
        .subscribe({
          next: (answers) => {
            answered = true;
            const response = userInputResponse(answers);
            if (response.ok) this.send(link, frame.id, { result: response.result });
            else {
              this.report(
                `user input handler gave an invalid answer to request ${describeValue(frame.id)}: ${response.reason}`,
                undefined,
                request,
              );
              fail(`user input handler gave an invalid answer: ${response.reason}`);
            }
          },
          error: (err) => {
            answered = true;
            fail(`user input handler failed: ${(err as Error)?.message ?? describeValue(err)}`);
          },
          complete: () => {
            if (!answered) fail('user input handler gave no answer');
          },
        }),
    );
  }
}
