import type { ChatContinuation } from './models';

/**
 * Base class of every error codex-rx raises. Each subclass sets a stable `name`, so
 * `err.name === 'CodexTransportError'` works even when two copies of the package are loaded.
 */
export class CodexError extends Error {
  /** Always `'CodexError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexError';
  /**
   * Makes an error whose `instanceof` holds for its own class under any compile target.
   * @param options `cause`: the underlying error, set as the standard `Error.cause`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The server answered with a JSON-RPC error, a turn failed, or the protocol was violated. */
export class CodexProtocolError extends CodexError {
  /** Always `'CodexProtocolError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexProtocolError';
  /** JSON-RPC error code, when the error came from the server. */
  readonly code?: number;
  /** The server's error `data`, or the failed turn. */
  readonly data?: unknown;
  /**
   * Raised by the client for a server error answer, a failed turn or a protocol violation.
   * @param info The server's error `code` and `data`, and the underlying error as `cause`.
   */
  constructor(message: string, info: { code?: number; data?: unknown; cause?: unknown } = {}) {
    super(message, 'cause' in info ? { cause: info.cause } : undefined);
    if (info.code !== undefined) this.code = info.code;
    if (info.data !== undefined) this.data = info.data;
  }
}

/**
 * Which transport failure a `CodexTransportError` stands for:
 * - `not-started`: the connection was used before `start()`.
 * - `closed`: the client was closed (`close()`); work still pending fails with this.
 * - `exited`: the server process exited, or closed its stdout (stdio).
 * - `disconnected`: an established link dropped (socket closed or reset).
 * - `connect-failed`: spawning or dialing failed, or did not finish in time.
 * - `auth-failed`: the server refused the credentials (HTTP 401/403 at the upgrade).
 * - `unresponsive`: the peer stopped reading what is sent, or stopped answering pings.
 * - `restart-failed`: an automatic restart or reconnect gave up.
 * - `environment-disconnected`: a remote environment (exec-server) of the turn's thread is
 *   disconnected (experimental API; `environmentId` names it). The connection to the app-server is fine.
 */
export type TransportErrorCode =
  | 'not-started'
  | 'closed'
  | 'exited'
  | 'disconnected'
  | 'connect-failed'
  | 'auth-failed'
  | 'unresponsive'
  | 'restart-failed'
  | 'environment-disconnected';

/** The transport failed, the server process exited, or the client is closed (see `code`). */
export class CodexTransportError extends CodexError {
  /** Always `'CodexTransportError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexTransportError';
  /** Which failure this is. Default `disconnected` (for custom transports that give none). */
  readonly code: TransportErrorCode;
  /** Exit code of the server process, when it exited. */
  readonly exitCode?: number | null;
  /** Signal that ended the server process, when one did. */
  readonly signal?: string | null;
  /** The remote environment that failed (code `environment-disconnected`). */
  readonly environmentId?: string;
  /**
   * Raised by the transports; a custom `Transport` raises one to say how its link failed.
   * @param info Which failure (`code`, default `disconnected`), the process's exit code or signal, the environment that failed, the underlying error as `cause`.
   */
  constructor(
    message: string,
    info: {
      code?: TransportErrorCode;
      exitCode?: number | null;
      signal?: string | null;
      environmentId?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, 'cause' in info ? { cause: info.cause } : undefined);
    this.code = info.code ?? 'disconnected';
    if (info.exitCode !== undefined) this.exitCode = info.exitCode;
    if (info.signal !== undefined) this.signal = info.signal;
    if (info.environmentId !== undefined) this.environmentId = info.environmentId;
  }
}

/** A request or wait outlived its timeout. */
export class CodexTimeoutError extends CodexError {
  /** Always `'CodexTimeoutError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexTimeoutError';
  /** What timed out: the request method, or `turn` for a turn wait. */
  readonly info: {
    /** The request method that timed out, or `turn` for a turn wait; absent for other waits. */
    method?: string;
    /** The timeout that ran out, in milliseconds. */
    timeoutMs: number;
  };
  /**
   * Raised by the client when a deadline passes.
   * @param info What timed out (`method`) and after how long (`timeoutMs`).
   */
  constructor(message: string, info: { method?: string; timeoutMs: number }) {
    super(message);
    this.info = info;
  }
}

/**
 * A running turn sent nothing for `idleMs`. The client keeps listening to the turn and buffering
 * its events: pass `continuation` back to `chat`/`chatOnce` to resume, or to `cancel` to stop it.
 */
export class CodexTurnInactiveError extends CodexTimeoutError {
  /** Always `'CodexTurnInactiveError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexTurnInactiveError';
  /** Resumes the turn (`ChatOptions.continuation`) or stops it (`CodexClient.cancel`): plain data, serialisable. */
  readonly continuation: ChatContinuation;
  /** The inactivity timeout that ran out, in milliseconds (also `info.timeoutMs`). */
  readonly idleMs: number;
  /**
   * Raised by the client with the suspended turn's continuation (`info.method` is `turn`).
   * @param idleMs The inactivity timeout that ran out, in milliseconds.
   */
  constructor(message: string, continuation: ChatContinuation, idleMs: number) {
    super(message, { method: 'turn', timeoutMs: idleMs });
    this.continuation = continuation;
    this.idleMs = idleMs;
  }
}

/** The caller aborted the work through an `AbortSignal`. */
export class CodexAbortError extends CodexError {
  /** Always `'CodexAbortError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexAbortError';
  /** The signal's `reason`, as given to `AbortController.abort(reason)`. */
  readonly reason: unknown;
  /** The request method that was aborted, or `turn` for a turn. */
  readonly method?: string;
  /**
   * Raised by the client when a call's signal aborts.
   * @param info The signal's `reason` (its `cause` too, when an `Error`) and the aborted `method`.
   */
  constructor(message: string, info: { reason?: unknown; method?: string } = {}) {
    super(message, info.reason instanceof Error ? { cause: info.reason } : undefined);
    this.reason = info.reason;
    if (info.method !== undefined) this.method = info.method;
  }
}

/**
 * An async-iterable view (`eachValue`, `chatIterable`, ...) held as much as it may for a consumer
 * that had not taken it yet (`bufferSize` values, or `bufferBytes` bytes), and one more value came
 * that it could neither merge nor drop (`overflow: 'error'`). `limit` says which bound was reached.
 * The consumer gets the values held first, then this error; the source was unsubscribed.
 */
export class CodexBufferOverflowError extends CodexError {
  /** Always `'CodexBufferOverflowError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexBufferOverflowError';
  /** The buffer's size (`bufferSize`). */
  readonly bufferSize: number;
  /** The bound that was reached: the count of values (`bufferSize`) or their bytes (`bufferBytes`). Default `bufferSize`. */
  readonly limit: 'bufferSize' | 'bufferBytes';
  /** The buffer's byte bound (`bufferBytes`), when given. */
  readonly bufferBytes?: number;
  /** Approximate bytes held when the value that did not fit came (never more than `bufferBytes` but for one value), when given. */
  readonly heldBytes?: number;
  /**
   * Raised by the async-iterable views when their buffer overflows.
   * @param bufferSize The buffer's size in values.
   * @param info Which bound was reached (`limit`, default `bufferSize`), the byte bound and the bytes held.
   */
  constructor(
    message: string,
    bufferSize: number,
    info: { limit?: 'bufferSize' | 'bufferBytes'; bufferBytes?: number; heldBytes?: number } = {},
  ) {
    super(message);
    this.bufferSize = bufferSize;
    this.limit = info.limit ?? 'bufferSize';
    if (info.bufferBytes !== undefined) this.bufferBytes = info.bufferBytes;
    if (info.heldBytes !== undefined) this.heldBytes = info.heldBytes;
  }
}

/** Each error class's parent, by name: what `instanceof` would follow, for errors of another package copy. */
const PARENT: Readonly<Record<string, string>> = {
  CodexProtocolError: 'CodexError',
  CodexTransportError: 'CodexError',
  CodexTimeoutError: 'CodexError',
  CodexTurnInactiveError: 'CodexTimeoutError',
  CodexAbortError: 'CodexError',
  CodexBufferOverflowError: 'CodexError',
};

/**
 * True when `err` is a codex-rx error of the given class or one of its subclasses, by name (so it
 * works across package copies, where `instanceof` does not): `isCodexError(e, 'CodexTimeoutError')`
 * holds for a `CodexTurnInactiveError` too. Without a name: any codex-rx error.
 */
export function isCodexError(err: unknown, name?: string): err is CodexError {
  if (!(err instanceof Error)) return false;
  if (!name) return err.name.startsWith('Codex');
  for (let n: string | undefined = err.name; n; n = PARENT[n]) if (n === name) return true;
  return false;
}

/** True when `err` is a `CodexTransportError` (of the given code), across package copies. */
export function isTransportError(err: unknown, code?: TransportErrorCode): err is CodexTransportError {
  return isCodexError(err, 'CodexTransportError') && (code === undefined || (err as CodexTransportError).code === code);
}
