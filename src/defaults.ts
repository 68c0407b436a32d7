/**
 * Every default of codex-rx in one table. Option docs name these values; code reads them from here
 * (never a literal of its own), so a default is changed in one place.
 */
export const DEFAULTS = {
  /** `ClientOptions.requestTimeoutMs`: one request's deadline. */
  requestTimeoutMs: 30_000,
  /** `ClientOptions.inactivityTimeoutMs`: a turn silent this long errors with `CodexTurnInactiveError`. */
  inactivityTimeoutMs: 180_000,
  /** `ClientOptions.handlerTimeoutMs`: an approval/user-input handler's time to answer. */
  handlerTimeoutMs: 300_000,
  /** `ClientOptions.environmentProbeMs`: a placed thread's unanswered `turn/start` has its environments' status read after this, and again as often. */
  environmentProbeMs: 1_000,
  /** `ClientOptions.idleGraceMs`: wait after an idle thread status before reading the thread. */
  idleGraceMs: 2_000,
  /** `ClientOptions.maxBufferedEvents`: events held for one suspended turn. */
  maxBufferedEvents: 100_000,
  /** `ClientOptions.maxBufferedBytes`: bytes held for all suspended turns together (deltas dropped first). */
  maxBufferedBytes: 64 * 1024 * 1024,
  /** `ClientOptions.maxSuspendedTurns`: timed-out turns kept for resuming. */
  maxSuspendedTurns: 1_000,
  /** Threads a client remembers as opened (no `thread/resume` before their next turn); the least recently used are forgotten. */
  maxKnownThreads: 10_000,
  /** `eachValue` and `chatIterable`/`chatEventsIterable`: `bufferSize`, values held for a slower consumer. */
  iterationBufferSize: 1_000,
  /**
   * `eachValue` and `chatIterable`/`chatEventsIterable`: `bufferBytes`, the (approximate) bytes held
   * for a slower consumer. Bounds what merged deltas grow to, far below V8's longest string.
   */
  iterationBufferBytes: 64 * 1024 * 1024,
  /** `ClientOptions.approvalMode`. */
  approvalMode: 'auto',
  /** `ClientOptions.strict`. */
  strict: false,
  /** `RetryPolicy` of overloaded (-32001) read requests. */
  retry: {
    /** Retries after the first attempt. */
    maxRetries: 4,
    /** Delay before the first retry, in ms; it doubles per retry. */
    initialDelayMs: 100,
    /** Upper bound of one retry delay, in ms. */
    maxDelayMs: 2_000,
    /** Fraction of each delay that is random (0..1). */
    jitter: 0.5,
    /**
     * The old name of `initialDelayMs`, in ms.
     * @deprecated Read `initialDelayMs`; this key goes in the next release.
     */
    baseDelayMs: 100,
  },
  /**
   * Transports: `maxFrameBytes`, the longest inbound line or message. Well under V8's longest
   * string (~512 MiB), and well over any frame the server sends in practice.
   */
  maxFrameBytes: 64 * 1024 * 1024,
  /**
   * Transports: `writeStallTimeoutMs`. A server that takes nothing of what is sent for this long
   * (its input pipe or socket stays full) has stopped reading: the connection fails `unresponsive`.
   */
  writeStallTimeoutMs: 30_000,
  /** Transports: most bytes (UTF-16 code units) waiting for a server that reads slower than we write; past it, `unresponsive`. */
  maxQueuedBytes: 64 * 1024 * 1024,
  /** WebSocket/Unix `reconnect: true`: redial backoff (see `ReconnectOptions`). */
  reconnect: {
    /** Delay before the first redial, in ms. */
    initialDelayMs: 250,
    /** Upper bound of one delay, in ms (it doubles per attempt). */
    maxDelayMs: 5_000,
    /** Fraction of each delay that is random (0..1), so that many clients do not redial in step. */
    jitter: 0.5,
    /** Redials before giving up: unlimited (`giveUpAfterMs` ends them). */
    maxAttempts: Infinity,
    /** Time since the drop after which no new attempt starts, in ms. */
    giveUpAfterMs: 300_000,
  },
  /** stdio `restart: true`: at most 5 restarts in 60 s (then `restart-failed`), 250 ms → 5 s apart. */
  restart: {
    /** Restarts allowed within `windowMs`; one more is a crash loop (`restart-failed`). */
    maxRestarts: 5,
    /** The window `maxRestarts` counts in, in ms. */
    windowMs: 60_000,
    /** Wait before a restart that follows another within the window, in ms (doubling up to `maxDelayMs`). */
    initialDelayMs: 250,
    /** Upper bound of the wait before a restart, in ms. */
    maxDelayMs: 5_000,
    /** Fraction of each wait that is random: none (a restart is on demand, not in step with others). */
    jitter: 0,
  },
  /** WebSocket/Unix `heartbeatMs`: a ping this often; no pong before the next one means a dead link. */
  heartbeatMs: 30_000,
  /** Transports: `connectTimeoutMs`, the wait for a spawn or a dial. */
  connectTimeoutMs: 30_000,
  /** stdio: `startupGraceMs`, how long a fresh process is watched for an early exit. */
  startupGraceMs: 100,
  /** stdio: `killGraceMs`, the wait after SIGTERM before SIGKILL. */
  killGraceMs: 2_000,
  /** stdio: the server's argv when neither `command` nor `CODEX_APP_SERVER_CMD` is given. */
  stdioCommand: ['codex', 'app-server'] as readonly string[],
  /** `startRelay`: the relay's defaults (see `RelayOptions`). */
  relay: {
    /** `path`: the URL path of the relay. */
    path: '/codex',
    /** `host`: the address a relay of its own listens on. */
    host: '127.0.0.1',
    /** `heartbeatMs`: a browser that answers no ping for this long is dropped. */
    heartbeatMs: 30_000,
    /** `maxFrameBytes`: the largest message accepted from a browser. */
    maxFrameBytes: 16 * 1024 * 1024,
    /** `maxEarlyBytes`: bytes a browser may send before its app-server is ready (about one message). */
    maxEarlyBytes: 16 * 1024 * 1024,
    /** `maxBufferedBytes`: bytes waiting to reach one browser before it is dropped as not reading. */
    maxBufferedBytes: 16 * 1024 * 1024,
    /** `maxConnections`: connections at once, each with its own app-server. */
    maxConnections: 8,
    /** `maxPendingUpgrades`: sockets at once that have not finished the upgrade. */
    maxPendingUpgrades: 64,
    /** `upgradeTimeoutMs`: how long a socket may take to finish the upgrade and token check. */
    upgradeTimeoutMs: 10_000,
  },
  /** WebSocket: the URL when neither `url` nor `CODEX_APP_SERVER_WS_URL` is given. */
  webSocketUrl: 'ws://127.0.0.1:8765',
  /** `PoolOptions.maxRoutedThreads`: thread ids a `CodexPool` remembers the member of; the least recently used are forgotten (and found again by asking). */
  poolRoutedThreads: 100_000,
} as const;
