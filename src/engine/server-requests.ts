import { concat, defer, from, Observable, of, SchedulerLike, Subject, Subscription, take } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../models';
import { ApprovalReply, decide, fromHandler } from '../operators/intercept-approvals';
import { approvalResponse, isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import { describeValue } from '../protocol/describe';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcRequest } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';
import { PendingApprovals } from './pending-approvals';
import { parseUserInputRequest, UserInputHandler, userInputResponse } from './user-input';

/** How the desk answers. */
export interface DeskOptions {
  /** Approvals without a handler wait for `respondApproval` instead of being declined. */
  readonly manual: boolean;
  /** A handler that has not answered after this long: decline / error reply; null = no limit. */
  readonly handlerTimeoutMs: number | null;
  /** The clock of those timeouts. */
  readonly scheduler: SchedulerLike;
}

/**
 * Answers every server request, exactly once, whoever is subscribed to the turn: approvals through
 * their handler (or manual mode, or decline), user input through its handler (or an error),
 * anything else with -32601. Its record of pending approvals is the only one: a turn's
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

  /** The approval requests waiting for an answer, oldest first. */
  pendingRequests(): ApprovalRequest[] {
    return this.pending.requests();
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
    if (isApprovalMethod(request.method)) this.approval(request, link);
    else if (request.method === 'item/tool/requestUserInput') this.userInput(request, link);
    else {
      this.send(link, request.id, {
        error: { code: ErrorCodes.MethodNotFound, message: `codex-rx has no handler for server request '${request.method}'` },
      });
    }
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

  /** A turn ended: its pending approvals can no longer be answered. */
  dropTurn(turnId: string): void {
    this.pending.takeTurn(turnId);
  }

  /** The turn is being interrupted: its pending approvals are answered `cancel` now. */
  cancelTurn(turnId: string): void {
    const link = this.connection.link;
    for (const request of this.pending.takeTurn(turnId))
      this.send(link, request.requestId, { result: approvalResponse(request, 'cancel') });
  }

  dispose(): void {
    this.stopDeciding();
    this.pending.clear();
    this.approvals.complete();
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

  /** Keeps a handler's subscription until it answers, so that a dropped link can end it. */
  private track(subscription: Subscription): void {
    if (subscription.closed) return;
    this.deciding.add(subscription);
    subscription.add(() => this.deciding.delete(subscription));
  }

  private stopDeciding(): void {
    for (const subscription of [...this.deciding]) subscription.unsubscribe();
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

  private userInput(frame: JsonRpcRequest, link: number): void {
    const fail = (message: string, code: number = ErrorCodes.InternalError) => this.send(link, frame.id, { error: { code, message } });
    const request = parseUserInputRequest(frame);
    if (!request) return fail('invalid item/tool/requestUserInput params', ErrorCodes.InvalidParams);
    const handler = this.userInputHandler;
    if (!handler) return fail('codex-rx has no user input handler', ErrorCodes.MethodNotFound);
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
