import { Observable, of, Subject, Subscription, take } from 'rxjs';
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

/**
 * Answers every server request: approvals through `interceptApprovals` (handler, manual mode or
 * decline), user input through its handler (or an error), anything else with -32601.
 */
export class ServerRequestDesk {
  readonly approvalRequests$: Observable<ApprovalRequest>;
  private readonly approvals = new Subject<ApprovalRequest>();
  private readonly inbound = new Subject<JsonRpcMessage>();
  private readonly pending = new Map<string, PendingApproval>();
  private handler: ApprovalHandler | null = null;
  private userInputHandler: UserInputHandler | null = null;
  private readonly subscription = new Subscription();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly options: { manual: boolean; handlerTimeoutMs: number | null },
  ) {
    this.approvalRequests$ = this.approvals.asObservable();
    this.subscription.add(
      this.inbound
        .pipe(
          interceptApprovals(
            (request) => this.decide(request),
            (id, reply) => this.answer(id, reply),
            {
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
    this.pending.set(keyOf(request.requestId), entry);
    this.approvals.next(request);
    const handler = this.handler;
    if (!handler) return this.options.manual ? entry.manual$ : of('decline' as const);
    return fromHandler(() => handler(request), this.options.handlerTimeoutMs);
  }

  private answer(id: JsonRpcId, reply: { result: unknown } | { error: { code: number; message: string } }): void {
    const key = keyOf(id);
    // Parse failures never reached `decide`; approvals answered manually or resolved are gone.
    if ('result' in reply && !this.pending.has(key)) return;
    this.pending.delete(key);
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
    const key = keyOf(request.requestId);
    const entry = this.pending.get(key);
    if (!entry) {
      throw new CodexProtocolError(`approval request ${request.requestId} is no longer pending (answered or resolved)`);
    }
    this.pending.delete(key);
    entry.manual$.complete();
    this.connection.respond(request.requestId, payload);
  }

  /** The server resolved (or dropped) request `id` itself. */
  resolved(id: JsonRpcId): void {
    const key = keyOf(id);
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    entry.manual$.complete();
  }

  /** A turn ended: its pending approvals can no longer be answered. */
  dropTurn(turnId: string): void {
    for (const [key, entry] of this.pending) {
      if (entry.request.turnId === turnId) {
        this.pending.delete(key);
        entry.manual$.complete();
      }
    }
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
    const answers$ = fromHandler(() => handler(req), this.options.handlerTimeoutMs);
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
    for (const entry of this.pending.values()) entry.manual$.complete();
    this.pending.clear();
    this.approvals.complete();
  }
}
