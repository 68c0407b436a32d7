/** Plain, readonly data shapes of the public API (see docs/api in the README). */
import type { Observable } from 'rxjs';

/** A completed, non-delta step of a turn (one per item id). */
export interface ConversationStep {
  readonly threadId: string;
  readonly turnId: string;
  readonly itemId: string | null;
  /** `thinking`, `exec`, `codex`, `tool`, `file`, or the raw item type for any other item. */
  readonly stepType: string;
  readonly itemType: string | null;
  readonly status: 'completed';
  readonly text: string | null;
  /** The full item payload as the server sent it. */
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
}

export interface InitializeResult {
  readonly protocolVersion: string | null;
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
}

export interface CommandApprovalRequest extends ApprovalRequestBase {
  readonly kind: 'command';
  readonly command: string | null;
  readonly cwd: string | null;
  readonly commandActions: readonly unknown[] | null;
  readonly proposedExecpolicyAmendment: readonly string[] | null;
  readonly availableDecisions: readonly unknown[] | null;
}

export interface FileChangeApprovalRequest extends ApprovalRequestBase {
  readonly kind: 'fileChange';
  readonly grantRoot: string | null;
}

export type ApprovalRequest = CommandApprovalRequest | FileChangeApprovalRequest;

export type ApprovalDecision =
  'accept' | 'acceptForSession' | 'decline' | 'cancel' | { readonly acceptWithExecpolicyAmendment: readonly string[] };

/** Decides an approval. Throwing, rejecting or erroring means `decline`. */
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision> | Observable<ApprovalDecision>;

interface TurnEventBase {
  readonly threadId: string;
  readonly turnId: string;
}

/** One event of a turn, for live UIs. `started` comes first, `completed` last. */
export type TurnEvent =
  | (TurnEventBase & { readonly type: 'started' })
  | (TurnEventBase & { readonly type: 'delta'; readonly itemId: string; readonly itemType: string; readonly delta: string })
  | (TurnEventBase & { readonly type: 'step'; readonly step: ConversationStep })
  | (TurnEventBase & { readonly type: 'approval'; readonly request: ApprovalRequest })
  | (TurnEventBase & { readonly type: 'completed'; readonly result: ChatResult });

/** Something worth knowing that is not an error of any one call. */
export interface Diagnostic {
  /**
   * `stderr`: a line the server wrote to stderr; `invalid-json`: an inbound line that is not JSON;
   * `oversized-frame`: an inbound line or message over `maxFrameBytes`, discarded (`detail`: its head);
   * `invalid-frame`: JSON that is not a JSON-RPC frame, or a routed frame whose params failed to
   * decode; `unmatched-response`: a response to no pending request; `handler-error`: an approval or
   * user-input handler failed; `protocol`: any other oddity.
   */
  readonly kind: 'stderr' | 'invalid-json' | 'oversized-frame' | 'invalid-frame' | 'unmatched-response' | 'handler-error' | 'protocol';
  readonly message: string;
  /** The offending line or frame, truncated to 1,000 characters for lines. */
  readonly detail?: unknown;
  /** The typed error, where one applies. */
  readonly error?: Error;
}
