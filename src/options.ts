/**
 * Every option interface of the public API. Defaults are in `DEFAULTS` (src/defaults.ts); the doc
 * of each field names its default.
 */
import type { TraceContext } from './streams/probe';
import type { SchedulerLike } from 'rxjs';
import type { ChatContinuation, ThreadConfig, TurnOverrides } from './models';
import type { InitializeCapabilities } from './protocol/generated/InitializeCapabilities';
import type { UserInput } from './protocol/generated/v2/UserInput';
import type { StdioTransportOptions } from './streams/stdio';
import type { BackoffOptions } from './streams/backoff';
export type { BackoffOptions } from './streams/backoff';
import type { WebSocketTransportOptions } from './streams/websocket';

/** Retry of requests the server refused with -32001 (overloaded). */
export interface RetryPolicy extends BackoffOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Delay before the first retry; doubles each time. Default 100 ms. */
  initialDelayMs?: number;
  /**
   * The old name of `initialDelayMs` (which wins when both are given).
   * @deprecated Use `initialDelayMs`, the name every backoff option uses; `baseDelayMs` goes in the next release.
   */
  baseDelayMs?: number;
  /** Upper bound of one delay. Default 2,000 ms. */
  maxDelayMs?: number;
  /** Fraction of each delay that is random (0..1). Default 0.5. */
  jitter?: number;
  /** Which methods are safe to repeat. Default: reads and lists (see `isSafeToRetry`). */
  isRetryable?: (method: string) => boolean;
}

/** Options of a `JsonRpcConnection` (and of the client, which builds one). */
export interface ConnectionOptions {
  /**
   * Default timeout of one request, from the call to its answer: a wait for the handshake or for a
   * link that is down, and overload retries with their backoff, count. `null` waits forever.
   * Default 30,000 ms.
   */
  requestTimeoutMs?: number | null;
  /**
   * The one clock of the client: request deadlines, retry delays, inactivity, the idle grace, the
   * cancel wait and handler timeouts all run on it. Default `asyncScheduler`; a `TestScheduler` or
   * `VirtualTimeScheduler` runs them all in virtual time.
   */
  scheduler?: SchedulerLike;
  /** Retry of overloaded (-32001) read requests; `false` disables it. */
  retry?: RetryPolicy | false;
}

/** Options of a `CodexClient`. */
export interface ClientOptions extends ConnectionOptions {
  /** A turn that sends nothing for this long errors with `CodexTurnInactiveError`; `null` = unbounded. Default 180,000 ms. */
  inactivityTimeoutMs?: number | null;
  /** Fail on protocol ambiguities (undecodable turn frames fail the turn) instead of reporting them. Default false. */
  strict?: boolean;
  /** Most events buffered for one turn while nobody listens (after an inactivity timeout). Default 100,000. */
  maxBufferedEvents?: number;
  /**
   * Most bytes held for all suspended turns together (their events while nobody listens, as
   * estimated in memory). Text deltas go first (their text is in the completed items; the result's
   * `droppedDeltas` says how many); past that a turn can no longer be resumed. Default 64 MiB.
   */
  maxBufferedBytes?: number;
  /** Most timed-out turns kept for resuming; the oldest is dropped past it. Default 1,000. */
  maxSuspendedTurns?: number;
  /**
   * `auto` (default): approvals go to the handler, and are declined without one. `manual`: with no
   * handler, approvals wait (without a timeout) for `respondApproval`.
   */
  approvalMode?: 'auto' | 'manual';
  /** An approval or user-input handler that has not answered after this long: decline / error. Default 300,000 ms; `null` = no limit. */
  handlerTimeoutMs?: number | null;
  /** After `thread/status/changed` to idle without `turn/completed`, wait this long, then read the thread and end the turn. Default 2,000 ms. */
  idleGraceMs?: number;
  /** `clientInfo` sent by `initialize`. Default: this package's name and version. */
  clientInfo?: {
    /** The client's name, as the server logs and reports it (e.g. in its `userAgent`). */
    name: string;
    /** The client's version. */
    version: string;
    /** A human-readable name of the client, for servers that show one. */
    title?: string;
  };
  /**
   * Opts into the server's experimental API (sent as `initialize` capabilities `experimentalApi`):
   * needed for client-side tools (`ThreadConfig.tools`) and remote environments (`addEnvironment`,
   * `ThreadConfig.environments`). Default false.
   */
  experimentalApi?: boolean;
  /**
   * A placed thread's `turn/start` that the server has not answered after this long has its
   * environments' status read (then again as often); one that is disconnected fails the turn with
   * `CodexTransportError` code `environment-disconnected` at once (the server would hold the
   * turn about 45 s while it recovers). While a placed thread's turn runs, its environments' status
   * is read as often too (the server says nothing of a lost exec-server mid-turn): a change is a
   * `TurnEvent` of type `environment`. Experimental API. Default 1,000 ms.
   */
  environmentProbeMs?: number;
  /**
   * The rest of the pinned protocol's `initialize` capabilities, e.g. `optOutNotificationMethods`
   * (notification methods this connection does not want) or `requestAttestation` (opt into
   * `attestation/generate` requests; answer them with `onServerRequest`). Sent on every handshake.
   */
  capabilities?: Omit<Partial<InitializeCapabilities>, 'experimentalApi'>;
}

/** Options of `CodexClient.connectStdio`: the transport's and the client's. */
export interface StdioOptions extends StdioTransportOptions, ClientOptions {}

/** Options of `CodexClient.connectWebSocket`: the transport's and the client's. */
export interface WebSocketOptions extends WebSocketTransportOptions, ClientOptions {}

/** Options of `CodexClient.connectUnix`: the WebSocket transport's (over a Unix socket) and the client's. */
export interface UnixOptions extends Omit<WebSocketTransportOptions, 'url'>, ClientOptions {
  /**
   * The app-server's Unix socket: its `--listen unix://PATH`, or the local daemon's control socket
   * (`codex app-server daemon start`). Default: the daemon's, `$CODEX_HOME/app-server-control/app-server-control.sock`
   * (`CODEX_HOME` defaults to `~/.codex`), which is also where `--listen unix://` without a path listens.
   */
  socketPath?: string;
}

/** Per-call options of `request`/`request$`. */
export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs` (from the call to the answer); `null` waits forever. */
  timeoutMs?: number | null;
  /** Aborting rejects the request at once with `CodexAbortError` (a late answer is dropped), also during a retry's backoff. */
  signal?: AbortSignal;
  /**
   * W3C trace context (`traceparent`, `tracestate`) sent on the request envelope as `trace`, which
   * the pinned server reads to parent its own spans: e.g. from OpenTelemetry's `propagation.inject`.
   */
  trace?: TraceContext;
}

/** Options of `initialize`. */
export interface InitializeOptions {
  /** Overrides the request timeout of the handshake. */
  timeoutMs?: number | null;
}

/** Options of one chat call (`chat`, `chatEvents`, `chatOnce`). */
export interface ChatOptions {
  /** Run the turn on this thread; without it a new thread is started. */
  threadId?: string;
  /** W3C trace context sent with the turn's `turn/start` (see `RequestOptions.trace`). */
  trace?: TraceContext;
  /** Forwarded on turn/start as `user`. */
  user?: string;
  /** Forwarded on turn/start as `metadata`. */
  metadata?: Record<string, unknown>;
  /** Thread settings for the new thread, or applied by thread/resume to `threadId`. */
  threadConfig?: ThreadConfig;
  /** Per-turn overrides for turn/start. */
  turnOverrides?: TurnOverrides;
  /** Overrides the client's inactivity timeout for this call; `null` waits without limit. */
  inactivityTimeoutMs?: number | null;
  /** Resume a turn after `CodexTurnInactiveError` (no other option may be given then). */
  continuation?: ChatContinuation;
  /** Also interrupt the turn on the server when the subscriber unsubscribes mid-turn. */
  interruptOnUnsubscribe?: boolean;
  /**
   * Aborting stops the chat at once with `CodexAbortError` (`method: 'turn'`, `reason` = the
   * signal's): already aborted, nothing is sent; aborted before `turn/start` was sent, no turn
   * starts; aborted later, the turn is interrupted on the server (once the server can take the
   * interrupt, i.e. after its `turn/started`) and its pending approvals are answered `cancel`. The
   * next chat on the thread waits until the server has ended the aborted turn.
   */
  signal?: AbortSignal;
}

/** Options of a chat on a `ThreadHandle`: those of `ChatOptions` that do not pick the thread. */
export type ThreadChatOptions = Omit<ChatOptions, 'threadId' | 'threadConfig'>;

/**
 * The buffer of a `for await` view of a turn (`chatIterable`, `chatEventsIterable`): the events
 * the turn produced that the loop body has not taken yet.
 */
export interface IterationOptions {
  /** Most events held for the loop body. Default 1,000 (`DEFAULTS.iterationBufferSize`). */
  bufferSize?: number;
  /**
   * Most bytes held for the loop body, estimated (two per character of text, plus a little per
   * field). Merging stops at this bound, so the deltas of one item cannot grow without limit while
   * the body is behind; past it `overflow` applies. One event larger than this is still held when
   * nothing else is. Default 64 MiB (`DEFAULTS.iterationBufferBytes`).
   */
  bufferBytes?: number;
  /**
   * An event that finds the buffer full (`bufferSize` events, or no room in `bufferBytes`). Events
   * are merged into the newest one held first, while the loop body is behind (`chatEventsIterable`:
   * the text deltas of one item, and a newer usage, plan or diff event over an older one; never
   * steps, approvals or the end). One that cannot be merged: `error` (the default) leaves the turn
   * (as `break` does) and ends the loop with `CodexBufferOverflowError` after the events held;
   * `dropOldest` drops the oldest events held.
   */
  overflow?: 'error' | 'dropOldest';
}

/** Options of `chatIterable` and `chatEventsIterable`: the chat's and its buffer's. */
export interface ChatIterableOptions extends ChatOptions, IterationOptions {}

/** Options of `ThreadHandle.chatIterable` and `chatEventsIterable`. */
export type ThreadChatIterableOptions = Omit<ChatIterableOptions, 'threadId' | 'threadConfig'>;

/** Options of `cancel`. */
export interface CancelOptions {
  /** How long to wait for the interrupted turn to end. Default: the client's `requestTimeoutMs`. */
  timeoutMs?: number | null;
}

/** Options of `interruptTurn`. */
export interface InterruptOptions {
  /** The turn's thread; needed when the client does not know the turn. */
  threadId?: string;
  /** Overrides the request timeout. */
  timeoutMs?: number | null;
}

/** Arguments of `steerTurn`. */
export interface SteerTurnArgs {
  /** The thread whose running turn takes the input. */
  threadId: string;
  /** The running turn the input is meant for (the server refuses it for another). */
  expectedTurnId: string;
  /** The input items: the protocol's `UserInput`s (text, image, localImage, ...). */
  inputItems: readonly UserInput[];
}

/** Options of `resumeThread` and `forkThread`. */
export interface ThreadOpenOptions {
  /** Thread settings applied to the resumed or forked thread. */
  overrides?: ThreadConfig;
}

/** Options of `readThread`. */
export interface ReadThreadOptions {
  /** Include the thread's turns. Default true. */
  includeTurns?: boolean;
}

/** Options of `listThreads`. */
export interface ListThreadsOptions {
  /** `true`: only archived threads; `false` or absent: only threads not archived. */
  archived?: boolean | null;
  /** Where the page starts: the `nextCursor` of the previous page. */
  cursor?: string | null;
  /** Only threads whose working directory is exactly this path (or one of these). */
  cwd?: string | string[] | null;
  /** The page size; the server's own when absent. */
  limit?: number | null;
  /** Only threads recorded under these model providers (an empty list: all). */
  modelProviders?: string[] | null;
  /** Order by creation or last update; the server's default is `created_at`. */
  sortKey?: 'created_at' | 'updated_at';
  /** The order; the server's default is `desc` (newest first). */
  sortDirection?: 'asc' | 'desc';
}

/** Arguments of `startReview`. */
export interface StartReviewArgs {
  /** The thread the review runs on. */
  threadId: string;
  /** The review target (protocol `ReviewTarget`). */
  target: object;
  /** Where the review runs: `inline`, on `threadId` itself (the only delivery the pinned server takes). */
  delivery?: 'inline' | 'detached';
}

/** Options of `ThreadHandle.startReview`. */
export type ThreadReviewOptions = Omit<StartReviewArgs, 'threadId' | 'target'>;

/** Options of `listModels`. */
export interface ListModelsOptions {
  /** Where the page starts: the `nextCursor` of the previous page. */
  cursor?: string | null;
  /** Also list the models the server hides from its default picker. */
  includeHidden?: boolean | null;
  /** The page size; the server's own when absent. */
  limit?: number | null;
}

/** Options of `readConfig`. */
export interface ReadConfigOptions {
  /** Read the config as seen from this directory, with the project layers between it and the repository root. */
  cwd?: string | null;
  /** Include each config layer. Default false. */
  includeLayers?: boolean;
}

/** Arguments of `writeConfigValue`. */
export interface WriteConfigValueArgs {
  /** The dotted path of the config key to write (e.g. `model` or `sandbox_workspace_write.network_access`). */
  keyPath: string;
  /** The JSON value to write at `keyPath`. */
  value: unknown;
  /** Default `upsert`. */
  mergeStrategy?: 'replace' | 'upsert';
  /** The config file's `version` (as `readConfig`'s layers and a write's result report it) that this write expects to find. */
  expectedVersion?: string | null;
  /** The config file to write; the user's `config.toml` when absent. */
  filePath?: string | null;
}

/** Options of `batchWriteConfig`. */
export interface BatchWriteConfigOptions {
  /** The config file's `version` (as `readConfig`'s layers and a write's result report it) that these edits expect to find. */
  expectedVersion?: string | null;
  /** The config file to write; the user's `config.toml` when absent. */
  filePath?: string | null;
}

/** Options of `execCommand`. */
export interface ExecCommandOptions {
  /** The command's working directory; the server's when absent. */
  cwd?: string | null;
  /** The command's sandbox, in the protocol's `SandboxPolicy` shape; the user's configured policy when absent. */
  sandboxPolicy?: object | null;
  /**
   * Unlike every other `timeoutMs` (the client's deadline for an answer), this is the server's: the
   * command's own run time, in milliseconds, enforced by the app-server (the protocol's
   * `command/exec` `timeoutMs`; the server's default when absent). The client still waits for the
   * answer at most its `requestTimeoutMs`: give that room for a long command.
   */
  timeoutMs?: number | null;
}

/** Options of `approveApproval`. */
export interface ApproveOptions {
  /** Accept for the rest of the session (`acceptForSession`). */
  forSession?: boolean;
  /** Accept and amend the exec policy with this command prefix (command approvals only). */
  execpolicyAmendment?: string[];
}
