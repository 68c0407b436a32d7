import { concat, defer, from, Observable, of, SchedulerLike, Subject, Subscription, take } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../models';
import { ApprovalReply, fromHandler, interceptApprovals } from '../operators/intercept-approvals';
import { approvalResponse } from '../protocol/approvals';
import { describeValue } from '../protocol/describe';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
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
 * `interceptApprovals` (handler, manual mode or decline), user input through its handler (or an
 * error), anything else with -32601. Its record of pending approvals is the only one: a turn's
 * inactivity clock pauses while it holds one of the turn's.
 */
export class ServerRequestDesk {
  /** Every approval request; a late subscriber first gets those still pending. */
  readonly approvalRequests$: Observable<ApprovalRequest>;
  private readonly approvals = new Subject<ApprovalRequest>();
  private readonly inbound = new Subject<JsonRpcMessage>();
  private readonly pending = new PendingApprovals();
  private handler: ApprovalHandler | null = null;
  private userInputHandler: UserInputHandler | null = null;
  private readonly subscription = new Subscription();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly options: DeskOptions,
  ) {
    this.approvalRequests$ = defer(() => concat(from(this.pending.requests()), this.approvals));
    this.subscription.add(
      this.inbound
        .pipe(
          interceptApprovals(
            (request) => this.decide(request),
            (id, reply, request) => this.answer(id, reply, request),
            {
              scheduler: options.scheduler,
              // A request answered by hand or resolved by the server meanwhile is no handler failure.
              onHandlerError: (request, error) =>
                this.pending.has(request) &&
                this.report(
                  `approval handler failed for request ${request.requestId}; declined: ${(error as Error)?.message ?? error}`,
                  error,
                  request,
                ),
            },
          ),
        )
        .subscribe((frame) => this.other(frame as JsonRpcRequest)),
    );
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

  /** Handles one server request frame. */
  handle(request: JsonRpcRequest): void {
    this.inbound.next(request);
  }

  /** Answers an approval that is still pending; `CodexProtocolError` otherwise. */
  respondApproval(request: ApprovalRequest, decision: ApprovalDecision): void {
    const payload = approvalResponse(request, decision); // TypeError for an invalid decision
    if (!this.pending.take(request)) {
      throw new CodexProtocolError(`approval request ${describeValue(request.requestId)} is no longer pending (answered or resolved)`);
    }
    this.send(request.requestId, { result: payload });
  }

  /** The server resolved (or dropped) request `id` itself. */
  resolved(id: JsonRpcId): void {
    this.pending.takeId(id);
  }

  /** The link dropped: approvals asked on it can no longer be answered there. */
  dropAll(): void {
    this.pending.clear();
  }

  /** A turn ended: its pending approvals can no longer be answered. */
  dropTurn(turnId: string): void {
    this.pending.takeTurn(turnId);
  }

  /** The turn is being interrupted: its pending approvals are answered `cancel` now. */
  cancelTurn(turnId: string): void {
    for (const request of this.pending.takeTurn(turnId)) this.send(request.requestId, { result: approvalResponse(request, 'cancel') });
  }

  dispose(): void {
    this.subscription.unsubscribe();
    this.pending.clear();
    this.approvals.complete();
  }

  private decide(request: ApprovalRequest): Observable<ApprovalDecision> {
    const entry = this.pending.add(request);
    this.approvals.next(request);
    const handler = this.handler;
    if (!handler) return this.options.manual ? entry.manual$ : of('decline' as const);
    return fromHandler(() => handler(request), this.options.handlerTimeoutMs, this.options.scheduler);
  }

  private answer(id: JsonRpcId, reply: ApprovalReply, request: ApprovalRequest | null): void {
    // An approval answered by hand or resolved meanwhile is not answered again. (A request whose
    // params did not decode never became pending: its error reply always goes.)
    if (request && !this.pending.take(request)) return;
    this.send(id, reply);
  }

  private send(id: JsonRpcId, reply: { result: unknown } | { error: JsonRpcErrorObject }): void {
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

  private other(request: JsonRpcRequest): void {
    if (request.method === 'item/tool/requestUserInput') this.userInput(request);
    else {
      this.send(request.id, {
        error: { code: ErrorCodes.MethodNotFound, message: `codex-rx has no handler for server request '${request.method}'` },
      });
    }
  }

  private userInput(frame: JsonRpcRequest): void {
    const fail = (message: string, code: number = ErrorCodes.InternalError) => this.send(frame.id, { error: { code, message } });
    const request = parseUserInputRequest(frame);
    if (!request) return fail('invalid item/tool/requestUserInput params', ErrorCodes.InvalidParams);
    const handler = this.userInputHandler;
    if (!handler) return fail('codex-rx has no user input handler', ErrorCodes.MethodNotFound);
    let answered = false;
    this.subscription.add(
      fromHandler(() => handler(request), this.options.handlerTimeoutMs, this.options.scheduler)
        .pipe(take(1))
        .subscribe({
          next: (answers) => {
            answered = true;
            const response = userInputResponse(answers);
            if (response.ok) this.send(frame.id, { result: response.result });
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
