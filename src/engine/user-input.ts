/** `item/tool/requestUserInput`: the request as users see it, and the checked answer body. */
import type { Observable } from 'rxjs';
import { ToolRequestUserInputParamsCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import type { JsonRpcId, JsonRpcRequest } from '../protocol/messages';

/** An `item/tool/requestUserInput` request: questions for the user. */
export interface UserInputRequest {
  /** The JSON-RPC id of the server's request, which the answer goes back under. */
  readonly requestId: JsonRpcId;
  /** The thread whose turn asks. */
  readonly threadId: string;
  /** The turn that asks. */
  readonly turnId: string;
  /** The tool call item that asks, or null when the server named none. */
  readonly itemId: string | null;
  /**
   * The questions, in the protocol's `ToolRequestUserInputQuestion` shape (`header`, `question`,
   * `options`, `isSecret`, ...); answer each under its `id`.
   */
  readonly questions: ReadonlyArray<{
    /** The key the question's answers go under in `UserInputAnswers`. */
    readonly id: string;
    readonly [key: string]: unknown;
  }>;
  /** The request's params as the server sent them. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Answers by question id, each a list of answers. */
export type UserInputAnswers = Record<string, string[]>;
/** Answers the questions of a user-input request (see `CodexClient.setUserInputHandler`). */
export type UserInputHandler = (request: UserInputRequest) => UserInputAnswers | Promise<UserInputAnswers> | Observable<UserInputAnswers>;

/** The request a frame carries, or null when its params do not decode. */
export function parseUserInputRequest(frame: JsonRpcRequest): UserInputRequest | null {
  const params = frame.params;
  if (!ToolRequestUserInputParamsCodec.is(params)) return null;
  return {
    requestId: frame.id,
    threadId: params.threadId,
    turnId: params.turnId,
    itemId: params.itemId ?? null,
    questions: params.questions as UserInputRequest['questions'],
    raw: params as Record<string, unknown>,
  };
}

/**
 * The protocol's answer body for what a handler gave, `{answers: {<id>: {answers: [...]}}}`, or
 * why that value is no answer: it must be an object whose every own key holds a list of strings.
 * Any question id works, `__proto__` included (each is defined as an own key).
 */
export function userInputResponse(
  answers: unknown,
): { ok: true; result: { answers: Record<string, { answers: string[] }> } } | { ok: false; reason: string } {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    return { ok: false, reason: `expected an object of answers by question id, got ${describeValue(answers)}` };
  }
  const body: Record<string, { answers: string[] }> = {};
  for (const id of Object.keys(answers)) {
    const list = (answers as Record<string, unknown>)[id];
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string')) {
      return { ok: false, reason: `answers for question ${JSON.stringify(id)} must be a list of strings, got ${describeValue(list)}` };
    }
    Object.defineProperty(body, id, { value: { answers: [...list] }, enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, result: { answers: body } };
}
