import { Observable, of, SchedulerLike, Subject, Subscription, take } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../models';
import { fromHandler, interceptApprovals } from '../operators/intercept-approvals';
import { approvalResponse } from '../protocol/approvals';
import { ToolRequestUserInputParamsCodec } from '../protocol/codecs';
import { ErrorCodes, JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';

/** One question of an `item/tool/requestUserInput` request. */
export interface UserInputRequest {
  readonly requestId: JsonRpcId;
  readonly threadId: string;
  readonly turnId: string;
  readonly itemId: string | null;
  readonly questions: ReadonlyArray<{ readonly id: string; readonly [key: string]: unknown }>;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Answers by question id, each a list of answers. */
export type UserInputAnswers = Record<string, string[]>;
export type UserInputHandler = (request: UserInputRequest) => UserInputAnswers | Promise<UserInputAnswers> | Observable<UserInputAnswers>;

interface PendingApproval {
  readonly request: ApprovalRequest;
  /** Emits the decision given through `respondApproval` (manual answers). */
  readonly manual$: Subject<ApprovalDecision>;
}

const keyOf = (id: JsonRpcId) => (typeof id === 'number' ? `n${id}` : `s${id}`);

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
 * Answers every server request: approvals through `interceptApprovals` (handler, manual mode or
 * decline), user input through its handler (or an error), anything else with -32601. It is the one
 * record of pending approvals: a turn's inactivity clock pauses while it holds one of the turn's.
 */
export class ServerRequestDesk {
  readonly approvalRequests$: Observable<ApprovalRequest>;
  private readonly approvals = new Subject<ApprovalRequest>();
  private readonly inbound = new Subject<JsonRpcMessage>();
  private readonly pending = new Map<string, PendingApproval>();
  /** Pending approvals per turn id. */
  private readonly pendingPerTurn = new Map<string, number>();
  private handler: ApprovalHandler | null = null;
  private userInputHandler: UserInputHandler | null = null;
  private readonly subscription = new Subscription();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly options: DeskOptions,
  ) {
    this.approvalRequests$ = this.approvals.asObservable();
    this.subscription.add(
      this.inbound
        .pipe(
          interceptApprovals(
            (request) => this.decide(request),
            (id, reply) => this.answer(id, reply),
            {
              scheduler: options.scheduler,
              // A request answered by hand or resolved by the server is no handler failure.
              onHandlerError: (request, error) =>
                this.pending.has(keyOf(request.requestId)) &&
                connection.report({
                  kind: 'handler-error',
                  message: `approval handler failed for request ${request.requestId}; declined: ${(error as Error)?.message ?? error}`,
                  error: error instanceof Error ? error : undefined,
                  detail: request,
                }),
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

  /** True while an approval request of `turnId` waits for an answer. */
  hasPendingFor(turnId: string): boolean {
    return this.pendingPerTurn.has(turnId);
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

  private decide(request: ApprovalRequest): Observable<ApprovalDecision> {
    const entry: PendingApproval = { request, manual$: new Subject<ApprovalDecision>() };
    this.addPending(keyOf(request.requestId), entry);
    this.approvals.next(request);
    const handler = this.handler;
    if (!handler) return this.options.manual ? entry.manual$ : of('decline' as const);
    return fromHandler(() => handler(request), this.options.handlerTimeoutMs, this.options.scheduler);
  }

  private addPending(key: string, entry: PendingApproval): void {
    this.pending.set(key, entry);
    const turnId = entry.request.turnId;
    this.pendingPerTurn.set(turnId, (this.pendingPerTurn.get(turnId) ?? 0) + 1);
  }

  /** Forgets a pending approval (answered, resolved or dropped); false when it was not pending. */
  private removePending(key: string): boolean {
    const entry = this.pending.get(key);
    if (!entry) return false;
    this.pending.delete(key);
    const turnId = entry.request.turnId;
    const left = (this.pendingPerTurn.get(turnId) ?? 1) - 1;
    if (left > 0) this.pendingPerTurn.set(turnId, left);
    else this.pendingPerTurn.delete(turnId);
    entry.manual$.complete();
    return true;
  }

  private answer(id: JsonRpcId, reply: { result: unknown } | { error: { code: number; message: string } }): void {
    // Parse failures never reached `decide`; approvals answered manually or resolved are gone.
    if (!this.removePending(keyOf(id)) && 'result' in reply) return;
    try {
      if ('result' in reply) this.connection.respond(id, reply.result);
      else this.connection.respondError(id, reply.error);
    } catch {
      /* closed: nothing to answer any more */
    }
  }

  /** Answers an approval that is still pending; `CodexProtocolError` otherwise. */
  respondApproval(request: ApprovalRequest, decision: ApprovalDecision): void {
    const payload = approvalResponse(request, decision); // TypeError for an invalid decision
    if (!this.removePending(keyOf(request.requestId))) {
      throw new CodexProtocolError(`approval request ${request.requestId} is no longer pending (answered or resolved)`);
    }
    this.connection.respond(request.requestId, payload);
  }

  /** The server resolved (or dropped) request `id` itself. */
  resolved(id: JsonRpcId): void {
    this.removePending(keyOf(id));
  }

  /** A turn ended: its pending approvals can no longer be answered. */
  dropTurn(turnId: string): void {
    if (!this.pendingPerTurn.has(turnId)) return;
    for (const [key, entry] of this.pending) if (entry.request.turnId === turnId) this.removePending(key);
  }

  private other(request: JsonRpcRequest): void {
    if (request.method === 'item/tool/requestUserInput') {
      this.userInput(request);
      return;
    }
    this.connection.respondError(request.id, {
      code: ErrorCodes.MethodNotFound,
      message: `codex-rx has no handler for server request '${request.method}'`,
    });
  }

  private userInput(request: JsonRpcRequest): void {
    const params = request.params;
    const fail = (message: string, code: number = ErrorCodes.InternalError) => {
      try {
        this.connection.respondError(request.id, { code, message });
      } catch {
        /* closed */
      }
    };
    if (!ToolRequestUserInputParamsCodec.is(params)) return fail('invalid item/tool/requestUserInput params', ErrorCodes.InvalidParams);
    const handler = this.userInputHandler;
    if (!handler) return fail('codex-rx has no user input handler', ErrorCodes.MethodNotFound);
    const req: UserInputRequest = {
      requestId: request.id,
      threadId: params.threadId,
      turnId: params.turnId,
      itemId: params.itemId ?? null,
      questions: params.questions as UserInputRequest['questions'],
      raw: params as Record<string, unknown>,
    };
    const answers$ = fromHandler(() => handler(req), this.options.handlerTimeoutMs, this.options.scheduler);
    let answered = false;
    this.subscription.add(
      answers$.pipe(take(1)).subscribe({
        next: (answers) => {
          answered = true;
          const body: Record<string, { answers: string[] }> = {};
          for (const [id, list] of Object.entries(answers ?? {})) body[id] = { answers: [...list] };
          try {
            this.connection.respond(request.id, { answers: body });
          } catch {
            /* closed */
          }
        },
        error: (err) => {
          answered = true;
          fail(`user input handler failed: ${(err as Error)?.message ?? err}`);
        },
        complete: () => {
          if (!answered) fail('user input handler gave no answer');
        },
      }),
    );
  }

  dispose(): void {
    this.subscription.unsubscribe();
    for (const key of [...this.pending.keys()]) this.removePending(key);
    this.approvals.complete();
  }
}
