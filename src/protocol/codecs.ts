/**
 * io-ts codecs for the JSON-RPC envelope and for the frames the client routes on. All are tolerant
 * `t.type`s: a newer server's extra fields pass. Hot paths classify a frame by its keys first and
 * then check only the codec they use (`codec.is`, no allocation); `decode` runs to explain a failure.
 */
import type { Either, Left } from 'fp-ts/Either';
import * as t from 'io-ts';
import { describeValue } from './describe';
import type { JsonRpcMessage } from './messages';

/**
 * fp-ts's `isLeft`, inline: `fp-ts/Either` has no `exports` map, so Node's ESM loader cannot import
 * it by that name, and this one check is all the client needs of fp-ts at run time.
 */
function isLeft<E, A>(v: Either<E, A>): v is Left<E> {
  return v._tag === 'Left';
}

const optional = <P extends t.Props>(props: P, name: string) => t.partial(props, name);

export const RequestIdCodec = t.union([t.string, t.number], 'RequestId');

export const JsonRpcRequestCodec = t.intersection(
  [t.type({ id: RequestIdCodec, method: t.string }), optional({ params: t.unknown }, 'RequestParams')],
  'JsonRpcRequest',
);
export const JsonRpcNotificationCodec = t.intersection(
  [t.type({ method: t.string }), optional({ params: t.unknown }, 'NotificationParams')],
  'JsonRpcNotification',
);
export const JsonRpcResponseCodec = t.type({ id: RequestIdCodec, result: t.unknown }, 'JsonRpcResponse');
export const JsonRpcErrorObjectCodec = t.intersection(
  [t.type({ code: t.number, message: t.string }), optional({ data: t.unknown }, 'ErrorData')],
  'JsonRpcErrorObject',
);
export const JsonRpcErrorResponseCodec = t.type(
  { id: t.union([RequestIdCodec, t.null]), error: JsonRpcErrorObjectCodec },
  'JsonRpcErrorResponse',
);
export const JsonRpcMessageCodec = t.union(
  [JsonRpcRequestCodec, JsonRpcNotificationCodec, JsonRpcResponseCodec, JsonRpcErrorResponseCodec],
  'JsonRpcMessage',
);

// ---- frames the client routes on -------------------------------------------------------------

export const TurnRefCodec = t.type({ id: t.string }, 'TurnRef');
export const TurnErrorCodec = t.partial({ message: t.string }, 'TurnError');
export const TurnCodec = t.intersection(
  [t.type({ id: t.string, status: t.string }), t.partial({ error: t.union([TurnErrorCodec, t.null]), items: t.unknown })],
  'Turn',
);
export const TurnStartedParamsCodec = t.type({ threadId: t.string, turn: TurnRefCodec }, 'TurnStartedParams');
export const TurnCompletedParamsCodec = t.type({ threadId: t.string, turn: TurnCodec }, 'TurnCompletedParams');
export const TurnStartResultCodec = t.type({ turn: TurnRefCodec }, 'TurnStartResult');

/** `TurnStartResultCodec.is`, written out: asked once per turn, on the path of `setup` in BENCHMARKS.md. */
export function isTurnStartResult(r: unknown): r is t.TypeOf<typeof TurnStartResultCodec> {
  const turn = isRecord(r) ? (r as { turn?: unknown }).turn : undefined;
  return isRecord(turn) && typeof (turn as { id?: unknown }).id === 'string';
}

/** What io-ts's `t.type` accepts as an object: not null, not an array. */
function isRecord(u: unknown): u is object {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}
export const ThreadResultCodec = t.type({ thread: t.type({ id: t.string }) }, 'ThreadResult');

export const ThreadItemCodec = t.intersection([t.type({ type: t.string }), t.partial({ id: t.string })], 'ThreadItem');
export const ItemCompletedParamsCodec = t.type({ threadId: t.string, turnId: t.string, item: ThreadItemCodec }, 'ItemCompletedParams');
/**
 * `ItemCompletedParamsCodec.is` and `TurnCompletedParamsCodec.is`, written out: asked of every
 * completed item and turn (io-ts's `intersection` makes a closure per check). Held to the codecs
 * by spec/protocol/codecs.spec.ts; the codecs stay for decoding and for explaining a failure.
 */
export function isItemCompletedParams(p: unknown): p is t.TypeOf<typeof ItemCompletedParamsCodec> {
  if (!isRecord(p)) return false;
  const o = p as { threadId?: unknown; turnId?: unknown; item?: unknown };
  if (typeof o.threadId !== 'string' || typeof o.turnId !== 'string' || !isRecord(o.item)) return false;
  const item = o.item as { type?: unknown; id?: unknown };
  return typeof item.type === 'string' && (item.id === undefined || typeof item.id === 'string');
}

export function isTurnCompletedParams(p: unknown): p is t.TypeOf<typeof TurnCompletedParamsCodec> {
  if (!isRecord(p)) return false;
  const o = p as { threadId?: unknown; turn?: unknown };
  if (typeof o.threadId !== 'string' || !isRecord(o.turn)) return false;
  const turn = o.turn as { id?: unknown; status?: unknown; error?: unknown };
  if (typeof turn.id !== 'string' || typeof turn.status !== 'string') return false;
  const error = turn.error;
  if (error === undefined || error === null) return true;
  return (
    isRecord(error) &&
    ((error as { message?: unknown }).message === undefined || typeof (error as { message?: unknown }).message === 'string')
  );
}

export const ItemDeltaParamsCodec = t.type({ threadId: t.string, turnId: t.string, itemId: t.string, delta: t.string }, 'ItemDeltaParams');

/**
 * `ItemDeltaParamsCodec.is`, written out: asked of every delta `chatEvents` emits, where the
 * codec's generic walk (a closure per property) was a measurable share of the frame's cost.
 * spec/protocol/codecs.spec.ts holds the two to the same answers.
 */
export function isItemDeltaParams(p: unknown): p is t.TypeOf<typeof ItemDeltaParamsCodec> {
  if (!isRecord(p)) return false;
  const o = p as { threadId?: unknown; turnId?: unknown; itemId?: unknown; delta?: unknown };
  return typeof o.threadId === 'string' && typeof o.turnId === 'string' && typeof o.itemId === 'string' && typeof o.delta === 'string';
}
export const ErrorNotificationParamsCodec = t.intersection(
  [t.type({ error: TurnErrorCodec }), t.partial({ threadId: t.string, turnId: t.string, willRetry: t.boolean })],
  'ErrorNotificationParams',
);
const TokenUsageBreakdownCodec = t.type({ totalTokens: t.number, inputTokens: t.number, outputTokens: t.number }, 'TokenUsageBreakdown');
export const TokenUsageUpdatedParamsCodec = t.type(
  { threadId: t.string, turnId: t.string, tokenUsage: t.type({ total: TokenUsageBreakdownCodec, last: TokenUsageBreakdownCodec }) },
  'TokenUsageUpdatedParams',
);
export const TurnPlanUpdatedParamsCodec = t.type(
  { threadId: t.string, turnId: t.string, plan: t.array(t.type({ step: t.string, status: t.string })) },
  'TurnPlanUpdatedParams',
);
export const TurnDiffUpdatedParamsCodec = t.type({ threadId: t.string, turnId: t.string, diff: t.string }, 'TurnDiffUpdatedParams');
export const ThreadStatusChangedParamsCodec = t.type(
  { threadId: t.string, status: t.type({ type: t.string }) },
  'ThreadStatusChangedParams',
);
export const ServerRequestResolvedParamsCodec = t.type({ threadId: t.string, requestId: RequestIdCodec }, 'ServerRequestResolvedParams');

const nullableString = t.union([t.string, t.null, t.undefined]);
const nullableArray = t.union([t.array(t.unknown), t.null, t.undefined]);

export const CommandApprovalParamsCodec = t.intersection(
  [
    t.type({ threadId: t.string, turnId: t.string, itemId: t.string }),
    t.partial({
      reason: nullableString,
      command: nullableString,
      cwd: nullableString,
      commandActions: nullableArray,
      proposedExecpolicyAmendment: t.union([t.array(t.string), t.null, t.undefined]),
      availableDecisions: nullableArray,
    }),
  ],
  'CommandApprovalParams',
);
export const FileChangeApprovalParamsCodec = t.intersection(
  [t.type({ threadId: t.string, turnId: t.string, itemId: t.string }), t.partial({ reason: nullableString, grantRoot: nullableString })],
  'FileChangeApprovalParams',
);
export const PermissionsApprovalParamsCodec = t.intersection(
  [
    t.type({ threadId: t.string, turnId: t.string, itemId: t.string, permissions: t.type({}) }),
    t.partial({ reason: nullableString, cwd: nullableString, environmentId: nullableString }),
  ],
  'PermissionsApprovalParams',
);
/** The legacy `execCommandApproval` (thread = `conversationId`, item = `callId`). */
export const ExecCommandApprovalParamsCodec = t.intersection(
  [
    t.type({ conversationId: t.string, callId: t.string, command: t.array(t.string) }),
    t.partial({ reason: nullableString, cwd: nullableString, approvalId: nullableString }),
  ],
  'ExecCommandApprovalParams',
);
/** The legacy `applyPatchApproval`. */
export const ApplyPatchApprovalParamsCodec = t.intersection(
  [t.type({ conversationId: t.string, callId: t.string }), t.partial({ reason: nullableString, grantRoot: nullableString })],
  'ApplyPatchApprovalParams',
);
export const DynamicToolCallParamsCodec = t.intersection(
  [t.type({ threadId: t.string, turnId: t.string, callId: t.string, tool: t.string }), t.partial({ namespace: nullableString })],
  'DynamicToolCallParams',
);
export const UserInputQuestionCodec = t.type({ id: t.string }, 'UserInputQuestion');
export const ToolRequestUserInputParamsCodec = t.intersection(
  [t.type({ threadId: t.string, turnId: t.string, questions: t.array(UserInputQuestionCodec) }), t.partial({ itemId: t.string })],
  'ToolRequestUserInputParams',
);

/** Explains why `value` fails `codec`: the paths of the first few offending fields. Never throws. */
export function explain(codec: t.Decoder<unknown, unknown>, value: unknown): string {
  let result: ReturnType<typeof codec.decode>;
  try {
    result = codec.decode(value);
  } catch {
    return 'undecodable';
  }
  if (!isLeft(result)) return 'valid';
  return result.left
    .slice(0, 3)
    .map((e) => {
      const path = e.context
        .map((c) => c.key)
        .filter((k) => k !== '' && !/^\d+$/.test(k))
        .join('.');
      const expected = e.context[e.context.length - 1]?.type.name ?? '?';
      return `${path || '(root)'}: expected ${expected}, got ${describeValue(e.value)}`;
    })
    .join('; ');
}

/** The first field path `codec` rejects in `value` (for -32602 answers), or null. */
export function firstInvalidField(codec: t.Decoder<unknown, unknown>, value: unknown): string | null {
  const result = codec.decode(value);
  if (!isLeft(result)) return null;
  const ctx = result.left[0]?.context ?? [];
  const keys = ctx.map((c) => c.key).filter((k) => k !== '' && !/^\d+$/.test(k));
  return keys.length ? keys.join('.') : '(params)';
}

/**
 * Classifies a parsed JSON value as a JSON-RPC frame by its keys (cheap), checking only the
 * matching envelope codec. Returns null when the value is no frame.
 */
const idOk = (id: unknown) => typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint';

export function asFrame(value: unknown): JsonRpcMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.method === 'string') {
    if (v.id === undefined) return v as unknown as JsonRpcMessage;
    return idOk(v.id) ? (v as unknown as JsonRpcMessage) : null;
  }
  // A response: the connection judges its error object (a malformed one still ends the request).
  if (('result' in v || 'error' in v) && (idOk(v.id) || v.id === null)) return v as unknown as JsonRpcMessage;
  return null;
}
