import {
  asyncScheduler,
  from,
  isObservable,
  of,
  Observable,
  OperatorFunction,
  SchedulerLike,
  Subscription,
  take,
  throwError,
  timeout,
} from 'rxjs';
import type { ApprovalHandler, ApprovalRequest } from '../models';
import { approvalResponse, type ApprovalPayload, isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import { ErrorCodes, JsonRpcErrorObject, JsonRpcId, JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
import { guard, operate, operatorObserver } from './util/operate';

/** How `interceptApprovals` answers a request: a result, or a JSON-RPC error. */
export type ApprovalReply =
  | {
      /** The decision, in the answer shape of the request's method. */
      result: ApprovalPayload;
    }
  | {
      /** A JSON-RPC error to answer with instead (e.g. for a request whose params do not decode). */
      error: JsonRpcErrorObject;
    };

/** Configuration of `interceptApprovals()`. */
export interface InterceptApprovalsConfig {
  /** A handler that has not decided after this long counts as `decline`. Default: no limit. */
  handlerTimeoutMs?: number | null;
  /** Scheduler of that timeout. */
  scheduler?: SchedulerLike;
  /** Called when a handler throws, errors, times out or returns an invalid decision (then: decline). */
  onHandlerError?: (request: ApprovalRequest, error: unknown) => void;
}

/**
 * Takes approval requests (commands, file changes, permissions, and the legacy `execCommandApproval`
 * / `applyPatchApproval`) out of a frame stream, hands each (parsed) to
 * `handler`, and answers it through `respond` (with the parsed request, or null for one whose params
 * did not decode): the decision, or `decline` when the handler throws,
 * rejects, errors, completes without a value or gives an invalid decision. A request whose params
 * do not decode is answered with -32602 naming the field. Every other frame passes on untouched.
 */
export function interceptApprovals(
  handler: ApprovalHandler,
  respond: (id: JsonRpcId, reply: ApprovalReply, request: ApprovalRequest | null) => void,
  config: InterceptApprovalsConfig = {},
): OperatorFunction<JsonRpcMessage, JsonRpcMessage> {
  return operate((source, subscriber) => {
    const inFlight = new Subscription();
    // The caller's callbacks: an exception there errors this stream (never an unhandled error).
    const onHandlerError = config.onHandlerError;
    const guarded: InterceptApprovalsConfig = onHandlerError
      ? { ...config, onHandlerError: (request, error) => guard(subscriber, () => onHandlerError(request, error)) }
      : config;
    inFlight.add(
      source.subscribe(
        operatorObserver<JsonRpcMessage>(subscriber, (frame) => {
          const request = frame as JsonRpcRequest;
          if (request.id === undefined || !('method' in frame) || !isApprovalMethod(request.method)) {
            subscriber.next(frame);
            return;
          }
          const parsed = parseApprovalRequest(request);
          if (!parsed.ok) {
            respond(
              request.id,
              { error: { code: ErrorCodes.InvalidParams, message: `invalid ${request.method} params: ${parsed.field}` } },
              null,
            );
            return;
          }
          inFlight.add(
            decide(handler, parsed.request, guarded, (reply) => guard(subscriber, () => respond(request.id, reply, parsed.request))),
          );
        }),
      ),
    );
    return inFlight;
  });
}

/** Runs `handler` for one request and answers exactly once. */
export function decide(
  handler: ApprovalHandler,
  request: ApprovalRequest,
  config: InterceptApprovalsConfig,
  answer: (reply: ApprovalReply) => void,
): Subscription {
  const declineBecause = (error: unknown) => {
    config.onHandlerError?.(request, error);
    answer({ result: approvalResponse(request, 'decline') });
  };
  const decision$ = fromHandler(() => handler(request), config.handlerTimeoutMs, config.scheduler);
  let answered = false;
  return decision$.pipe(take(1)).subscribe({
    next: (decision) => {
      answered = true;
      let payload: ApprovalPayload;
      try {
        payload = approvalResponse(request, decision);
      } catch (err) {
        declineBecause(err);
        return;
      }
      answer({ result: payload });
    },
    error: (err) => {
      answered = true;
      declineBecause(err);
    },
    complete: () => {
      if (!answered) declineBecause(new Error('approval handler completed without a decision'));
    },
  });
}

/**
 * What a handler gave, as an Observable: a plain value at once (so marble tests see it at its
 * frame), a Promise when it settles, an Observable as it is; a throw becomes an error, and
 * `limitMs` (unless null) bounds the wait for the first value. Shared by every handler kind.
 */
export function fromHandler<T>(
  call: () => T | PromiseLike<T> | Observable<T>,
  limitMs?: number | null,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<T> {
  let out: T | PromiseLike<T> | Observable<T>;
  try {
    out = call();
  } catch (err) {
    return throwError(() => err);
  }
  const out$ = isObservable(out) ? out : isPromiseLike(out) ? from(out) : of(out);
  return limitMs == null ? out$ : out$.pipe(timeout({ first: limitMs, scheduler }));
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}
