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

/** A JSON-RPC id: a string or a number. */
export const RequestIdCodec = t.union([t.string, t.number], 'RequestId');

/** A request frame (the server's requests to the client). */
export const JsonRpcRequestCodec = t.intersection(
  [
    t.type({
      /** The id the answer must carry. */
      id: RequestIdCodec,
      /** What is asked. */
      method: t.string,
    }),
    optional(
      {
        /** The method's arguments, not checked here. */
        params: t.unknown,
      },
      'RequestParams',
    ),
  ],
  'JsonRpcRequest',
);
/** A notification frame: a method and no id. */
export const JsonRpcNotificationCodec = t.intersection(
  [
    t.type({
      /** What happened. */
      method: t.string,
    }),
    optional(
      {
        /** The event's data, not checked here. */
        params: t.unknown,
      },
      'NotificationParams',
    ),
  ],
  'JsonRpcNotification',
);
/** A successful answer to one of the client's requests. */
export const JsonRpcResponseCodec = t.type(
  {
    /** The id of the request it answers. */
    id: RequestIdCodec,
    /** The result, checked by the caller (if at all). */
    result: t.unknown,
  },
  'JsonRpcResponse',
);
/** The `error` of an error answer: what a failed request rejects with (`CodexProtocolError`). */
export const JsonRpcErrorObjectCodec = t.intersection(
  [
    t.type({
      /** The JSON-RPC error code. */
      code: t.number,
      /** The server's account of the failure. */
      message: t.string,
    }),
    optional(
      {
        /** Further details, in a shape of the server's choosing. */
        data: t.unknown,
      },
      'ErrorData',
    ),
  ],
  'JsonRpcErrorObject',
);
/** An error answer to one of the client's requests. */
export const JsonRpcErrorResponseCodec = t.type(
  {
    /** The id of the request it answers; null when the server could not read it. */
    id: t.union([RequestIdCodec, t.null]),
    /** Why the request failed. */
    error: JsonRpcErrorObjectCodec,
  },
  'JsonRpcErrorResponse',
);
/** Any JSON-RPC frame the client accepts (see `asFrame` for the cheap classification the client uses). */
export const JsonRpcMessageCodec = t.union(
  [JsonRpcRequestCodec, JsonRpcNotificationCodec, JsonRpcResponseCodec, JsonRpcErrorResponseCodec],
  'JsonRpcMessage',
);

// ---- frames the client routes on -------------------------------------------------------------

/** A turn named by its id (in `turn/started` and the `turn/start` result). */
export const TurnRefCodec = t.type(
  {
    /** The turn's id, which routes the turn's frames. */
    id: t.string,
  },
  'TurnRef',
);
/** A failed turn's error (`turn.error`, `error` notifications). */
export const TurnErrorCodec = t.partial(
  {
    /** The failure, as the server words it; what `CodexProtocolError` says. */
    message: t.string,
  },
  'TurnError',
);
/** The turn of `turn/completed`: how it ended. */
export const TurnCodec = t.intersection(
  [
    t.type({
      /** The id of the turn that ended. */
      id: t.string,
      /** How it ended: `completed`, `interrupted`, `failed` (or a newer server's status). */
      status: t.string,
    }),
    t.partial({
      /** Why it failed, for a failed turn. */
      error: t.union([TurnErrorCodec, t.null]),
      /** The turn's items, not checked here. */
      items: t.unknown,
    }),
  ],
  'Turn',
);
/** The params of `turn/started`: a turn began on a thread. */
export const TurnStartedParamsCodec = t.type(
  {
    /** The thread the turn runs on. */
    threadId: t.string,
    /** The turn that started. */
    turn: TurnRefCodec,
  },
  'TurnStartedParams',
);
/** The params of `turn/completed`: a turn ended. */
export const TurnCompletedParamsCodec = t.type(
  {
    /** The thread the turn ran on. */
    threadId: t.string,
    /** The turn that ended, and how. */
    turn: TurnCodec,
  },
  'TurnCompletedParams',
);
/** The result of `turn/start`: the id of the turn it started. */
export const TurnStartResultCodec = t.type(
  {
    /** The started turn. */
    turn: TurnRefCodec,
  },
  'TurnStartResult',
);

/** `TurnStartResultCodec.is`, written out: asked once per turn, on the path of `setup` in BENCHMARKS.md. */
export function isTurnStartResult(r: unknown): r is t.TypeOf<typeof TurnStartResultCodec> {
  const turn = isRecord(r) ? (r as { turn?: unknown }).turn : undefined;
  return isRecord(turn) && typeof (turn as { id?: unknown }).id === 'string';
}

/** What io-ts's `t.type` accepts as an object: not null, not an array. */
function isRecord(u: unknown): u is object {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}
/** The result of `thread/start`, `thread/resume` and `thread/fork`: the thread's id. */
export const ThreadResultCodec = t.type(
  {
    /** The opened thread. */
    thread: t.type({
      /** The thread's id, which the handle is bound to. */
      id: t.string,
    }),
  },
  'ThreadResult',
);

/** A thread item, as far as the client routes on it (the rest is typed by the pinned protocol). */
export const ThreadItemCodec = t.intersection(
  [
    t.type({
      /** The item's type (`agentMessage`, `commandExecution`, ...): picks its step label and text. */
      type: t.string,
    }),
    t.partial({
      /** The item's id, when it has one. */
      id: t.string,
    }),
  ],
  'ThreadItem',
);
/** The params of `item/completed`: an item of a turn completed (a step). */
export const ItemCompletedParamsCodec = t.type(
  {
    /** The thread of the turn. */
    threadId: t.string,
    /** The turn the item belongs to. */
    turnId: t.string,
    /** The completed item. */
    item: ThreadItemCodec,
  },
  'ItemCompletedParams',
);
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

/** `TurnCompletedParamsCodec.is`, written out: asked of every `turn/completed` (see `isItemCompletedParams`). */
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

/** The params of a text delta (`item/agentMessage/delta`, ...): a piece of an item's streamed text. */
export const ItemDeltaParamsCodec = t.type(
  {
    /** The thread of the turn. */
    threadId: t.string,
    /** The turn the item belongs to. */
    turnId: t.string,
    /** The item whose text grows. */
    itemId: t.string,
    /** The new text, appended to the item's text so far. */
    delta: t.string,
  },
  'ItemDeltaParams',
);

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
/** The params of the `error` notification: a server-side error of a turn (a `retry` or `error` event). */
export const ErrorNotificationParamsCodec = t.intersection(
  [
    t.type({
      /** What failed. */
      error: TurnErrorCodec,
    }),
    t.partial({
      /** The thread of the failing turn. */
      threadId: t.string,
      /** The failing turn. */
      turnId: t.string,
      /** True: the server retries by itself (a `retry` event); false: the turn fails. */
      willRetry: t.boolean,
    }),
  ],
  'ErrorNotificationParams',
);
const TokenUsageBreakdownCodec = t.type(
  {
    /** Input plus output tokens. */
    totalTokens: t.number,
    /** Tokens sent to the model. */
    inputTokens: t.number,
    /** Tokens the model produced. */
    outputTokens: t.number,
  },
  'TokenUsageBreakdown',
);
/** The params of `thread/tokenUsage/updated`: token usage after a model call (a `usage` event, `ChatResult.usage`). */
export const TokenUsageUpdatedParamsCodec = t.type(
  {
    /** The thread whose usage it is. */
    threadId: t.string,
    /** The turn whose model call it was. */
    turnId: t.string,
    /** The thread's running sum and the last model call's tokens. */
    tokenUsage: t.type({
      /** The thread's running sum. */
      total: TokenUsageBreakdownCodec,
      /** The last model call's tokens. */
      last: TokenUsageBreakdownCodec,
    }),
  },
  'TokenUsageUpdatedParams',
);
/** The params of `turn/plan/updated`: the agent's plan changed (a `plan` event). */
export const TurnPlanUpdatedParamsCodec = t.type(
  {
    /** The thread of the turn. */
    threadId: t.string,
    /** The turn whose plan it is. */
    turnId: t.string,
    /** The whole plan now. */
    plan: t.array(
      t.type({
        /** What the step does. */
        step: t.string,
        /** Where it stands (`pending`, `inProgress`, `completed`). */
        status: t.string,
      }),
    ),
  },
  'TurnPlanUpdatedParams',
);
/** The params of `turn/diff/updated`: the turn's aggregated diff changed (a `diff` event). */
export const TurnDiffUpdatedParamsCodec = t.type(
  {
    /** The thread of the turn. */
    threadId: t.string,
    /** The turn whose diff it is. */
    turnId: t.string,
    /** The turn's whole unified diff so far. */
    diff: t.string,
  },
  'TurnDiffUpdatedParams',
);
/** The params of `thread/status/changed`: an idle status ends a turn that sent no `turn/completed` (after `idleGraceMs`). */
export const ThreadStatusChangedParamsCodec = t.type(
  {
    /** The thread whose status changed. */
    threadId: t.string,
    /** The new status. */
    status: t.type({
      /** `idle`, `active`, ... */
      type: t.string,
    }),
  },
  'ThreadStatusChangedParams',
);
/** The params of `serverRequest/resolved`: a server request no longer needs an answer. */
export const ServerRequestResolvedParamsCodec = t.type(
  {
    /** The thread it concerned. */
    threadId: t.string,
    /** The server request that is settled. */
    requestId: RequestIdCodec,
  },
  'ServerRequestResolvedParams',
);

const nullableString = t.union([t.string, t.null, t.undefined]);
const nullableArray = t.union([t.array(t.unknown), t.null, t.undefined]);

/** What every approval request of a turn names: its thread, its turn and the item it is about. */
export const ApprovalTargetCodec = t.type(
  {
    /** The thread whose turn asks. */
    threadId: t.string,
    /** The turn that asks. */
    turnId: t.string,
    /** The item the approval is for (a command, a file change, a permissions request). */
    itemId: t.string,
  },
  'ApprovalTarget',
);
/** The params of `item/commandExecution/requestApproval`, as a `CommandApprovalRequest` needs them. */
export const CommandApprovalParamsCodec = t.intersection(
  [
    ApprovalTargetCodec,
    t.partial({
      /** Why the agent asks. */
      reason: nullableString,
      /** The command line as the server will run it. */
      command: nullableString,
      /** Where it would run. */
      cwd: nullableString,
      /** The server's parse of the command. */
      commandActions: nullableArray,
      /** A command prefix the server proposes to allow from now on. */
      proposedExecpolicyAmendment: t.union([t.array(t.string), t.null, t.undefined]),
      /** The answers the server offers. */
      availableDecisions: nullableArray,
    }),
  ],
  'CommandApprovalParams',
);
/** The params of `item/fileChange/requestApproval`, as a `FileChangeApprovalRequest` needs them. */
export const FileChangeApprovalParamsCodec = t.intersection(
  [
    ApprovalTargetCodec,
    t.partial({
      /** Why the agent asks. */
      reason: nullableString,
      /** A directory the agent asks write access under for the session. */
      grantRoot: nullableString,
    }),
  ],
  'FileChangeApprovalParams',
);
/** The params of `item/permissions/requestApproval`, as a `PermissionsApprovalRequest` needs them. */
export const PermissionsApprovalParamsCodec = t.intersection(
  [
    ApprovalTargetCodec,
    t.type({
      /** What is asked for (an object; its fields are the protocol's `RequestPermissionProfile`). */
      permissions: t.type({}),
    }),
    t.partial({
      /** Why the agent asks. */
      reason: nullableString,
      /** The directory the permissions would apply from. */
      cwd: nullableString,
      /** The server's environment the request is for. */
      environmentId: nullableString,
    }),
  ],
  'PermissionsApprovalParams',
);
/** The legacy `execCommandApproval` (thread = `conversationId`, item = `callId`). */
export const ExecCommandApprovalParamsCodec = t.intersection(
  [
    t.type({
      /** The thread that asks (the legacy name). */
      conversationId: t.string,
      /** The command call the approval is for (taken as the item id). */
      callId: t.string,
      /** The command's argv. */
      command: t.array(t.string),
    }),
    t.partial({
      /** Why the agent asks. */
      reason: nullableString,
      /** Where it would run. */
      cwd: nullableString,
      /** The approval's own id, when the server gives one. */
      approvalId: nullableString,
    }),
  ],
  'ExecCommandApprovalParams',
);
/** The legacy `applyPatchApproval`. */
export const ApplyPatchApprovalParamsCodec = t.intersection(
  [
    t.type({
      /** The thread that asks (the legacy name). */
      conversationId: t.string,
      /** The patch call the approval is for (taken as the item id). */
      callId: t.string,
    }),
    t.partial({
      /** Why the agent asks. */
      reason: nullableString,
      /** A directory the agent asks write access under for the session. */
      grantRoot: nullableString,
    }),
  ],
  'ApplyPatchApprovalParams',
);
/** The params of `item/tool/call`: the model calls a client-side tool (`ThreadConfig.tools`). */
export const DynamicToolCallParamsCodec = t.intersection(
  [
    t.type({
      /** The thread whose turn calls. */
      threadId: t.string,
      /** The turn that calls. */
      turnId: t.string,
      /** The call's id. */
      callId: t.string,
      /** The tool's name, which picks the `ToolDefinition` to execute. */
      tool: t.string,
    }),
    t.partial({
      /** The tool's namespace, for a namespaced tool. */
      namespace: nullableString,
    }),
  ],
  'DynamicToolCallParams',
);
/** A question of `item/tool/requestUserInput`, as far as the client needs it. */
export const UserInputQuestionCodec = t.type(
  {
    /** The key its answers go under. */
    id: t.string,
  },
  'UserInputQuestion',
);
/** The params of `item/tool/requestUserInput`, as a `UserInputRequest` needs them. */
export const ToolRequestUserInputParamsCodec = t.intersection(
  [
    t.type({
      /** The thread whose turn asks. */
      threadId: t.string,
      /** The turn that asks. */
      turnId: t.string,
      /** The questions for the user. */
      questions: t.array(UserInputQuestionCodec),
    }),
    t.partial({
      /** The tool call item that asks. */
      itemId: t.string,
    }),
  ],
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

const idOk = (id: unknown) => typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint';

/**
 * Classifies a parsed JSON value as a JSON-RPC frame by its keys (cheap), checking only the
 * matching envelope codec. Returns null when the value is no frame.
 */
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
