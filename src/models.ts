/** Plain, readonly data shapes of the public API (see docs/api in the README). */
import type { Observable } from 'rxjs';
import type { ExecPolicyAmendment } from './protocol/generated/v2/ExecPolicyAmendment';
import type { CommandAction } from './protocol/generated/v2/CommandAction';
import type { CommandExecutionApprovalDecision } from './protocol/generated/v2/CommandExecutionApprovalDecision';
import type { ThreadItem } from './protocol/generated/v2/ThreadItem';
import type { ThreadTokenUsage } from './protocol/generated/v2/ThreadTokenUsage';
import type { TurnError } from './protocol/generated/v2/TurnError';
import type { TurnPlanStep } from './protocol/generated/v2/TurnPlanStep';
import type { RequestPermissionProfile } from './protocol/generated/v2/RequestPermissionProfile';
import type { ServerRequestMethod } from './protocol/server-messages';
import type { ToolDefinition } from './tools';

/** The type of a thread item of the pinned protocol (`'agentMessage'`, `'commandExecution'`, ...). */
export type ThreadItemType = ThreadItem['type'];

/** The step labels that rename an item type; every other item type is its own label. */
interface StepLabels {
  reasoning: 'thinking';
  commandExecution: 'exec';
  agentMessage: 'codex';
  mcpToolCall: 'tool';
  fileChange: 'file';
}

/**
 * `ConversationStep.stepType`: `thinking` (reasoning), `exec` (commandExecution), `codex`
 * (agentMessage), `tool` (mcpToolCall), `file` (fileChange), any other item type of the pinned
 * protocol unchanged, and (for a newer server's item types) any other string.
 */
export type StepType = StepLabels[keyof StepLabels] | Exclude<ThreadItemType, keyof StepLabels> | (string & {});

/** A completed, non-delta step of a turn (one per item id). */
export interface ConversationStep {
  readonly threadId: string;
  readonly turnId: string;
  readonly itemId: string | null;
  /** `thinking`, `exec`, `codex`, `tool`, `file`, or the raw item type for any other item. */
  readonly stepType: StepType;
  readonly itemType: ThreadItemType | (string & {}) | null;
  readonly status: 'completed';
  readonly text: string | null;
  /**
   * The item, typed by the pinned protocol's `ThreadItem` union: narrow on `item.type` (an
   * `agentMessage` has `text`, a `commandExecution` has `command`, `exitCode`, `commandActions`, ...).
   * A newer server's item of a type the pinned protocol lacks is passed on as it came.
   */
  readonly item: ThreadItem;
  /** The full item payload as the server sent it (the same object as `item`, untyped). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** The buffered result of one turn. */
export interface ChatResult {
  readonly threadId: string;
  readonly turnId: string;
  readonly finalText: string;
  /**
   * The turn's notifications and server requests, in arrival order. Text-delta notifications are
   * not retained here (their text is in the completed items), so a long stream costs no memory.
   */
  readonly rawEvents: readonly RawEvent[];
  readonly assistantItemId: string | null;
  readonly completionSource: 'item_completed' | 'thread_read_fallback' | null;
  /**
   * The turn's token usage: the last `thread/tokenUsage/updated` of the turn (`last` is the turn's
   * last model call, `total` the thread's running sum), or null when the server sent none.
   */
  readonly usage: ThreadTokenUsage | null;
  /**
   * Text deltas dropped while the turn was suspended (after an inactivity timeout) to keep the
   * client's buffers within `maxBufferedBytes`; 0 normally. Their text is in the completed items,
   * so `finalText` and the steps are whole; only a live view of the stream has gaps.
   */
  readonly droppedDeltas: number;
}

/** A raw inbound frame of a turn: a notification or a server request. */
export type RawEvent = Readonly<{ method: string; params?: unknown; id?: string | number | bigint }>;

/** Resumes a turn after `CodexTurnInactiveError`. Plain data: serialise it freely. */
export interface ChatContinuation {
  readonly threadId: string;
  readonly turnId: string;
  /** How many events of the turn the caller already consumed. */
  readonly cursor: number;
  readonly mode: 'once' | 'stream';
}

export interface CancelResult {
  readonly threadId: string;
  readonly turnId: string;
  /** Completed steps the caller had not read, since the continuation's cursor. */
  readonly steps: readonly ConversationStep[];
  /** Raw events the caller had not read, since the continuation's cursor. */
  readonly rawEvents: readonly RawEvent[];
  /** The turn had already ended before the cancel. */
  readonly wasCompleted: boolean;
  /** An interrupt was sent. */
  readonly wasInterrupted: boolean;
  /** Text deltas dropped while the turn was suspended (see `ChatResult.droppedDeltas`). */
  readonly droppedDeltas: number;
}

export interface InitializeResult {
  /** Always null with current servers (they report no protocol version); kept for servers that do. */
  readonly protocolVersion: string | null;
  /**
   * The server's version, parsed from `userAgent` (`<client>/<server version> (...)`), or null when
   * it cannot be. A version other than `PROTOCOL_SERVER_VERSION` also gets one `version-mismatch` diagnostic.
   */
  readonly serverVersion: string | null;
  readonly serverInfo: Readonly<Record<string, unknown>> | null;
  readonly capabilities: Readonly<Record<string, unknown>> | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

export type ApprovalPolicy = 'untrusted' | 'on-failure' | 'on-request' | 'never' | (string & {});
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access' | (string & {});

/** Thread-level settings for thread/start, thread/resume and thread/fork. Omitted keys are not sent; `null` is. */
export interface ThreadConfig {
  cwd?: string | null;
  baseInstructions?: string | null;
  developerInstructions?: string | null;
  model?: string | null;
  modelProvider?: string | null;
  approvalPolicy?: ApprovalPolicy | null;
  sandbox?: SandboxMode | null;
  personality?: string | null;
  ephemeral?: boolean | null;
  config?: Record<string, unknown> | null;
  /**
   * Client-side tools of a new thread (sent on `thread/start` as the experimental `dynamicTools`):
   * the model can call them, and their `execute` runs in this process. Needs
   * `ClientOptions.experimentalApi`; only a new thread takes them (not resume or fork).
   */
  tools?: readonly ToolDefinition<any>[];
}

/** Per-turn overrides for turn/start. Omitted keys are not sent; `null` is. */
export interface TurnOverrides {
  cwd?: string | null;
  model?: string | null;
  effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | (string & {}) | null;
  summary?: 'auto' | 'concise' | 'detailed' | 'none' | (string & {}) | null;
  sandboxPolicy?: Record<string, unknown> | null;
  personality?: string | null;
  approvalPolicy?: ApprovalPolicy | null;
  outputSchema?: Record<string, unknown> | null;
}

interface ApprovalRequestBase {
  /** The JSON-RPC id of the server's request (may be 0; a `bigint` beyond 2^53). */
  readonly requestId: string | number | bigint;
  readonly threadId: string;
  readonly turnId: string;
  readonly itemId: string;
  readonly reason: string | null;
  /** The request's params as the server sent them. */
  readonly raw: Readonly<Record<string, unknown>>;
  /**
   * The server request it came as (absent on requests built by hand). The legacy
   * `execCommandApproval` / `applyPatchApproval` come as `command` / `fileChange` requests with no
   * turn id (`turnId: ''`) and `itemId` = their `callId`; the decision is sent in their own shape.
   */
  readonly method?: ServerRequestMethod;
}

export interface CommandApprovalRequest extends ApprovalRequestBase {
  readonly kind: 'command';
  /**
   * The command line as the server will run it: usually shell-wrapped (`/bin/bash -lc '…'`). The
   * command the model asked for is in `commandActions`.
   */
  readonly command: string | null;
  readonly cwd: string | null;
  /**
   * The server's parse of the command, one action per command in it (`read`, `listFiles`,
   * `search`, `unknown`), each with its plain `command` (e.g. `npm test`, without the shell wrapper).
   */
  readonly commandActions: readonly CommandAction[] | null;
  readonly proposedExecpolicyAmendment: Readonly<ExecPolicyAmendment> | null;
  /** The answers the server offers for this request, in the protocol's shape (e.g. `'accept'`, `{acceptWithExecpolicyAmendment: ...}`). */
  readonly availableDecisions: readonly CommandExecutionApprovalDecision[] | null;
}

export interface FileChangeApprovalRequest extends ApprovalRequestBase {
  readonly kind: 'fileChange';
  readonly grantRoot: string | null;
}

/**
 * `item/permissions/requestApproval`: the agent asks for more permissions (network, file system).
 * `accept` grants what was asked for the turn, `acceptForSession` for the session, `decline` and
 * `cancel` grant nothing.
 */
export interface PermissionsApprovalRequest extends ApprovalRequestBase {
  readonly kind: 'permissions';
  /** What is asked for. */
  readonly permissions: Readonly<RequestPermissionProfile>;
  readonly cwd: string | null;
  readonly environmentId: string | null;
}

/** A request for approval, by `kind`: a command, a file change, or more permissions. */
export type ApprovalRequest = CommandApprovalRequest | FileChangeApprovalRequest | PermissionsApprovalRequest;

export type ApprovalDecision =
  'accept' | 'acceptForSession' | 'decline' | 'cancel' | { readonly acceptWithExecpolicyAmendment: readonly string[] };

/** Decides an approval. Throwing, rejecting or erroring means `decline`. */
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision> | Observable<ApprovalDecision>;

interface TurnEventBase {
  readonly threadId: string;
  readonly turnId: string;
}

/**
 * One event of a turn, for live UIs. `started` comes first, `completed` last; in between:
 * - `delta`: streamed text of an item (its deltas concatenate to the item's text);
 * - `step`: a completed item;
 * - `approval`: the server asks to run a command or change files;
 * - `usage`: token usage after a model call (`thread/tokenUsage/updated`);
 * - `plan`: the agent's plan changed (`turn/plan/updated`);
 * - `diff`: the turn's aggregated unified diff changed (`turn/diff/updated`);
 * - `retry`: a server-side error the server retries by itself (`error` with `willRetry: true`);
 * - `error`: a server-side error it does not retry (`error` with `willRetry: false`); the turn then
 *   usually fails, and the stream errors with `CodexProtocolError`.
 */
export type TurnEvent =
  | (TurnEventBase & { readonly type: 'started' })
  | (TurnEventBase & {
      readonly type: 'delta';
      readonly itemId: string;
      readonly itemType: 'agentMessage' | 'reasoning' | 'commandExecution' | 'fileChange' | 'plan' | (string & {});
      readonly delta: string;
    })
  | (TurnEventBase & { readonly type: 'step'; readonly step: ConversationStep })
  | (TurnEventBase & { readonly type: 'approval'; readonly request: ApprovalRequest })
  | (TurnEventBase & { readonly type: 'usage'; readonly usage: ThreadTokenUsage })
  | (TurnEventBase & { readonly type: 'plan'; readonly explanation: string | null; readonly plan: readonly TurnPlanStep[] })
  | (TurnEventBase & { readonly type: 'diff'; readonly diff: string })
  | (TurnEventBase & { readonly type: 'retry'; readonly error: TurnError })
  | (TurnEventBase & { readonly type: 'error'; readonly error: TurnError })
  | (TurnEventBase & { readonly type: 'completed'; readonly result: ChatResult });

/** Something worth knowing that is not an error of any one call. */
export interface Diagnostic {
  /**
   * `stderr`: a line the server wrote to stderr; `invalid-json`: an inbound line that is not JSON;
   * `oversized-frame`: an inbound line or message over `maxFrameBytes`, discarded (`detail`: its head);
   * `invalid-frame`: JSON that is not a JSON-RPC frame, or a routed frame whose params failed to
   * decode; `unmatched-response`: a response to no pending request; `handler-error`: an approval,
   * user-input, tool or server-request handler failed; `default-answer`: a server request was
   * answered by codex-rx's safe default because nothing was registered for it (once per method;
   * `detail`: `{method}`); `version-mismatch`: the server's version is not the one the protocol
   * types were generated from (once per connection; `detail`: `{serverVersion, protocolVersion}`);
   * `transport`: a relay's app-server failed or did not start (the relay's own events);
   * `protocol`: any other oddity.
   */
  readonly kind:
    | 'stderr'
    | 'invalid-json'
    | 'oversized-frame'
    | 'invalid-frame'
    | 'unmatched-response'
    | 'handler-error'
    | 'default-answer'
    | 'version-mismatch'
    | 'transport'
    | 'protocol';
  readonly message: string;
  /** The offending line or frame, truncated to 1,000 characters for lines. */
  readonly detail?: unknown;
  /** The typed error, where one applies. */
  readonly error?: Error;
}
