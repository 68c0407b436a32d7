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
import type { TurnEnvironmentParams } from './protocol/generated-experimental/v2/TurnEnvironmentParams';
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
  /** The thread the step's turn ran on. */
  readonly threadId: string;
  /** The turn the item completed in. */
  readonly turnId: string;
  /** The server's id of the item, or null when the item came without one. */
  readonly itemId: string | null;
  /** `thinking`, `exec`, `codex`, `tool`, `file`, or the raw item type for any other item. */
  readonly stepType: StepType;
  /** The item's `type` as the server sent it (e.g. `agentMessage`, `commandExecution`), or null when it had none. */
  readonly itemType: ThreadItemType | (string & {}) | null;
  /** Always `completed`: a step is emitted once its item completed, never for a partial item. */
  readonly status: 'completed';
  /**
   * The item's human-readable text: an agent message's text, a reasoning's summary and content, a
   * command's command line, a client tool's answer; null when the item has none.
   */
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
  /** The thread the turn ran on (a new one unless `ChatOptions.threadId` named one). */
  readonly threadId: string;
  /** The server's id of the turn, as in `turn/started`. */
  readonly turnId: string;
  /**
   * The answer: the text of the turn's last completed agent message. When none completed, the text
   * read back from the stored thread (`completionSource: 'thread_read_fallback'`).
   */
  readonly finalText: string;
  /**
   * The turn's notifications and server requests, in arrival order. Text-delta notifications are
   * not retained here (their text is in the completed items), so a long stream costs no memory.
   */
  readonly rawEvents: readonly RawEvent[];
  /** The item id of the agent message `finalText` comes from, or null when it had none. */
  readonly assistantItemId: string | null;
  /**
   * Where `finalText` comes from: `item_completed`, the last agent message of the stream;
   * `thread_read_fallback`, a `thread/read` after the turn ended without one; null, neither (yet).
   */
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
export type RawEvent = Readonly<{
  /** The JSON-RPC method, e.g. `item/completed` or `item/commandExecution/requestApproval`. */
  method: string;
  /** The frame's params, as the server sent them. */
  params?: unknown;
  /** Present on a server request only: the id its answer goes back under. */
  id?: string | number | bigint;
}>;

/** Resumes a turn after `CodexTurnInactiveError`. Plain data: serialise it freely. */
export interface ChatContinuation {
  /** The thread of the suspended turn; a call on another thread refuses it (`TypeError`). */
  readonly threadId: string;
  /** The suspended turn, as the client still holds it (until it ends, is cancelled or evicted). */
  readonly turnId: string;
  /** How many events of the turn the caller already consumed. */
  readonly cursor: number;
  /**
   * The kind of call that timed out: `once` (`chatOnce`) or `stream` (`chat`, `chatEvents`); only
   * a call of the same kind resumes it (else `TypeError`).
   */
  readonly mode: 'once' | 'stream';
}

/** What `CodexClient.cancel` leaves the caller: what it had not read of the turn, and how the turn ended. */
export interface CancelResult {
  /** The thread of the cancelled turn. */
  readonly threadId: string;
  /** The cancelled turn. */
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

/** The server's answer to the `initialize` handshake, as `CodexClient.initialize` resolves it. */
export interface InitializeResult {
  /** Always null with current servers (they report no protocol version); kept for servers that do. */
  readonly protocolVersion: string | null;
  /**
   * The server's version, parsed from `userAgent` (`<client>/<server version> (...)`), or null when
   * it cannot be. A version other than `PROTOCOL_SERVER_VERSION` also gets one `version-mismatch` diagnostic.
   */
  readonly serverVersion: string | null;
  /** The server's `serverInfo` object, for servers that send one; else null. */
  readonly serverInfo: Readonly<Record<string, unknown>> | null;
  /** The server's `capabilities` object, for servers that send one; else null. */
  readonly capabilities: Readonly<Record<string, unknown>> | null;
  /** The whole `initialize` response as the server sent it (e.g. `userAgent`). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * When the server asks before it runs a command or changes files: `untrusted` (all but known-safe
 * commands), `on-failure` (when a sandboxed command fails), `on-request` (when the model asks), `never`;
 * a newer server's value passes.
 */
export type ApprovalPolicy = 'untrusted' | 'on-failure' | 'on-request' | 'never' | (string & {});
/** What the server's sandbox lets commands touch: read only, write in the workspace, or everything; a newer server's value passes. */
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access' | (string & {});

/** Thread-level settings for thread/start, thread/resume and thread/fork. Omitted keys are not sent; `null` is. */
export interface ThreadConfig {
  /** The working directory of the thread's commands and file changes; the server's own when absent. */
  cwd?: string | null;
  /** Replaces the model's built-in instructions for this thread. */
  baseInstructions?: string | null;
  /** Instructions added to the built-in ones, as a developer message. */
  developerInstructions?: string | null;
  /** The model to use; the server's configured model when absent. */
  model?: string | null;
  /** The model provider id of the server's config to use. */
  modelProvider?: string | null;
  /** When the server asks for approval (see `ApprovalPolicy`). */
  approvalPolicy?: ApprovalPolicy | null;
  /** What the thread's commands may touch (see `SandboxMode`). */
  sandbox?: SandboxMode | null;
  /** The protocol's `personality` (deprecated by the server: `friendly` and `pragmatic` no longer select a style). */
  personality?: string | null;
  /** An ephemeral thread is not written to disk by the server. */
  ephemeral?: boolean | null;
  /** Overrides of the server's `config.toml` keys for this thread (dotted keys to values). */
  config?: Record<string, unknown> | null;
  /**
   * Client-side tools of a new thread (sent on `thread/start` as the experimental `dynamicTools`):
   * the model can call them, and their `execute` runs in this process. Needs
   * `ClientOptions.experimentalApi`; only a new thread takes them (not resume or fork).
   */
  tools?: readonly ToolDefinition<any>[];
  /**
   * **Experimental** (needs `ClientOptions.experimentalApi`): where the thread's commands and file
   * changes run, sent on `thread/start` as `environments`; the first entry is primary, `[]` runs
   * nothing anywhere, absent: every known environment (the server's choice). Each entry names an
   * environment added with `addEnvironment` and a `cwd` on it. The client places the thread again
   * after a reconnect or restart (the server forgets placements then).
   */
  environments?: readonly EnvironmentPlacement[];
}

/** **Experimental.** One entry of a placement: the protocol's `TurnEnvironmentParams` (generated by `generate-ts --experimental`). */
export type EnvironmentPlacement = TurnEnvironmentParams;

/** **Experimental.** A remote environment for `CodexClient.addEnvironment`: a `codex exec-server` the app-server connects to. */
export interface EnvironmentSpec {
  /** Its id: `[A-Za-z0-9_-]{1,64}`, not `local` or `none` (the server's own). Adding an id again replaces it. */
  id: string;
  /** The exec-server's `ws://` or `wss://` URL (as the app-server reaches it). */
  url: string;
  /**
   * Its capability token (`codex exec-server --ws-auth capability-token`), sent as a bearer token.
   * The server takes one only over `wss://` or to a loopback address. Never in errors, logs,
   * diagnostics or recordings.
   */
  token?: string;
  /** How long the app-server waits to connect; the server's default when absent. */
  connectTimeoutMs?: number;
}

/** **Experimental.** A thread's environment connected or disconnected (`thread/environment/connected|disconnected`). */
export interface EnvironmentEvent {
  /** `connected` or `disconnected`. */
  readonly type: 'connected' | 'disconnected';
  /** The thread whose environment it is. */
  readonly threadId: string;
  /** The environment. */
  readonly environmentId: string;
}

/** Per-turn overrides for turn/start. Omitted keys are not sent; `null` is. */
export interface TurnOverrides {
  /** The working directory for this turn and the thread's later turns. */
  cwd?: string | null;
  /** The model for this turn and the thread's later turns. */
  model?: string | null;
  /** The reasoning effort the model spends, for this turn and the thread's later turns. */
  effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | (string & {}) | null;
  /** How much of its reasoning the model summarises (the text of `reasoning` items), for this turn and later turns. */
  summary?: 'auto' | 'concise' | 'detailed' | 'none' | (string & {}) | null;
  /** The sandbox of this turn's and later turns' commands, in the protocol's `SandboxPolicy` shape (e.g. `{ type: 'readOnly', networkAccess: false }`). */
  sandboxPolicy?: Record<string, unknown> | null;
  /** The protocol's `personality` (deprecated by the server: `friendly` and `pragmatic` no longer select a style). */
  personality?: string | null;
  /** When the server asks for approval, for this turn and the thread's later turns (see `ApprovalPolicy`). */
  approvalPolicy?: ApprovalPolicy | null;
  /** A JSON Schema that constrains this turn's final agent message (structured output); this turn only. */
  outputSchema?: Record<string, unknown> | null;
  /** **Experimental** (needs `ClientOptions.experimentalApi`): where this turn and the thread's later turns run (see `ThreadConfig.environments`). */
  environments?: readonly EnvironmentPlacement[];
}

interface ApprovalRequestBase {
  /** The JSON-RPC id of the server's request (may be 0; a `bigint` beyond 2^53). */
  readonly requestId: string | number | bigint;
  /** The thread whose turn asks (for the legacy requests: their `conversationId`). */
  readonly threadId: string;
  /** The turn that asks; `''` for the legacy requests, which carry none. */
  readonly turnId: string;
  /** The item (command, file change) the approval is for; the legacy requests' `callId`. */
  readonly itemId: string;
  /** Why the agent asks, in its words, or null when it gave none. */
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

/** The server asks to run a command (`item/commandExecution/requestApproval` or the legacy `execCommandApproval`). */
export interface CommandApprovalRequest extends ApprovalRequestBase {
  /** Tells the three requests apart: this one asks to run a command. */
  readonly kind: 'command';
  /**
   * The command line as the server will run it: usually shell-wrapped (`/bin/bash -lc '…'`). The
   * command the model asked for is in `commandActions`.
   */
  readonly command: string | null;
  /** The directory the command would run in, or null when the server did not say. */
  readonly cwd: string | null;
  /**
   * The server's parse of the command, one action per command in it (`read`, `listFiles`,
   * `search`, `unknown`), each with its plain `command` (e.g. `npm test`, without the shell wrapper).
   */
  readonly commandActions: readonly CommandAction[] | null;
  /**
   * A command prefix the server proposes to allow from now on; answer
   * `{ acceptWithExecpolicyAmendment: prefix }` to accept it. Null when none is proposed.
   */
  readonly proposedExecpolicyAmendment: Readonly<ExecPolicyAmendment> | null;
  /** The answers the server offers for this request, in the protocol's shape (e.g. `'accept'`, `{acceptWithExecpolicyAmendment: ...}`). */
  readonly availableDecisions: readonly CommandExecutionApprovalDecision[] | null;
}

/** The server asks to apply file changes (`item/fileChange/requestApproval` or the legacy `applyPatchApproval`). */
export interface FileChangeApprovalRequest extends ApprovalRequestBase {
  /** Tells the three requests apart: this one asks to change files. */
  readonly kind: 'fileChange';
  /** A directory the agent asks write access under for the rest of the session (unstable in the protocol), or null. */
  readonly grantRoot: string | null;
}

/**
 * `item/permissions/requestApproval`: the agent asks for more permissions (network, file system).
 * `accept` grants what was asked for the turn, `acceptForSession` for the session, `decline` and
 * `cancel` grant nothing.
 */
export interface PermissionsApprovalRequest extends ApprovalRequestBase {
  /** Tells the three requests apart: this one asks for more permissions. */
  readonly kind: 'permissions';
  /** What is asked for. */
  readonly permissions: Readonly<RequestPermissionProfile>;
  /** The directory the permissions would apply from, or null when the server did not say. */
  readonly cwd: string | null;
  /** The server's environment the request is for, or null when it did not say. */
  readonly environmentId: string | null;
}

/** A request for approval, by `kind`: a command, a file change, or more permissions. */
export type ApprovalRequest = CommandApprovalRequest | FileChangeApprovalRequest | PermissionsApprovalRequest;

/**
 * An answer to an approval request: `accept` (this once), `acceptForSession` (this and the same
 * again in the session), `decline` (the agent goes on without it), `cancel` (the turn stops), or
 * accept and allow a command prefix from now on.
 */
export type ApprovalDecision =
  | 'accept'
  | 'acceptForSession'
  | 'decline'
  | 'cancel'
  | {
      /** The command prefix to allow from now on (usually the request's `proposedExecpolicyAmendment`). */
      readonly acceptWithExecpolicyAmendment: readonly string[];
    };

/** Decides an approval. Throwing, rejecting or erroring means `decline`. */
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision> | Observable<ApprovalDecision>;

interface TurnEventBase {
  /** The thread the turn runs on. */
  readonly threadId: string;
  /** The turn the event belongs to. */
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
 * - `environment`: (experimental) an environment of the thread connected or disconnected
 *   (`thread/environment/connected|disconnected`);
 * - `error`: a server-side error it does not retry (`error` with `willRetry: false`); the turn then
 *   usually fails, and the stream errors with `CodexProtocolError`.
 */
export type TurnEvent =
  | (TurnEventBase & {
      /** The server started the turn: the first event. */
      readonly type: 'started';
    })
  | (TurnEventBase & {
      /** A piece of an item's streamed text. */
      readonly type: 'delta';
      /** The item the text belongs to; its deltas concatenate to its text. */
      readonly itemId: string;
      /** The kind of item that streams (the answer, reasoning, command output, a diff, the plan). */
      readonly itemType: 'agentMessage' | 'reasoning' | 'commandExecution' | 'fileChange' | 'plan' | (string & {});
      /** The new text, to append to what came before for the same item. */
      readonly delta: string;
    })
  | (TurnEventBase & {
      /** An item completed. */
      readonly type: 'step';
      /** The completed item, as `chat` emits it. */
      readonly step: ConversationStep;
    })
  | (TurnEventBase & {
      /** The server asks for approval; the answer comes from the approval handler (or `approvalMode`). */
      readonly type: 'approval';
      /** What is asked. */
      readonly request: ApprovalRequest;
    })
  | (TurnEventBase & {
      /** A model call of the turn reported its token usage. */
      readonly type: 'usage';
      /** `last`: that call's tokens; `total`: the thread's running sum. */
      readonly usage: ThreadTokenUsage;
    })
  | (TurnEventBase & {
      /** The agent's plan changed. */
      readonly type: 'plan';
      /** Why the plan changed, in the agent's words, or null. */
      readonly explanation: string | null;
      /** The whole plan now: each step with its status. */
      readonly plan: readonly TurnPlanStep[];
    })
  | (TurnEventBase & {
      /** The turn's file changes changed (its aggregated diff). */
      readonly type: 'diff';
      /** The turn's aggregated unified diff so far (the whole of it, not an increment). */
      readonly diff: string;
    })
  | (TurnEventBase & {
      /** The server hit an error it retries by itself; the turn goes on. */
      readonly type: 'retry';
      /** What failed (e.g. the model provider's error). */
      readonly error: TurnError;
    })
  | (TurnEventBase & {
      /** **Experimental.** An environment (remote exec-server) of the turn's thread connected or disconnected. */
      readonly type: 'environment';
      /** The environment. */
      readonly environmentId: string;
      /** Whether it is connected now. */
      readonly connected: boolean;
    })
  | (TurnEventBase & {
      /** The server hit an error it does not retry; the turn usually fails next. */
      readonly type: 'error';
      /** What failed. */
      readonly error: TurnError;
    })
  | (TurnEventBase & {
      /** The turn ended: the last event. */
      readonly type: 'completed';
      /** The turn's result, as `chatOnce` resolves it. */
      readonly result: ChatResult;
    });

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
   * `environment`: a thread's remote environment disconnected (experimental; `detail`: the
   * `EnvironmentEvent`, `error`: a `CodexTransportError` with code `environment-disconnected`);
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
    | 'environment'
    | 'protocol';
  /** A one-line, human-readable account of what happened. */
  readonly message: string;
  /** The offending line or frame, truncated to 1,000 characters for lines. */
  readonly detail?: unknown;
  /** The typed error, where one applies. */
  readonly error?: Error;
}
