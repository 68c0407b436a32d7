import { CodexTransportError, type TransportErrorCode } from '../errors';

/**
 * A member of a `CodexPool` failed (its process exited, its link dropped, it was closed or gave up
 * restarting), or no member could take a new thread. A `CodexTransportError` (same `code`s), so a
 * handler of transport errors keeps working behind a pool; `memberId` says which server failed.
 */
export class CodexPoolError extends CodexTransportError {
  /** Always `'CodexPoolError'`, also across package copies: tell errors apart by it where `instanceof` fails. */
  override name = 'CodexPoolError';
  /** The id of the member that failed; null when no member was live to place a new thread on. */
  readonly memberId: string | null;
  /**
   * Raised by the pool: the member's own `CodexTransportError` becomes the `cause`.
   * @param info The failure's `code`, the failed `memberId` (null: none was live), the process's exit code or signal, the environment that failed, the member's error as `cause`.
   */
  constructor(
    message: string,
    info: {
      code: TransportErrorCode;
      memberId: string | null;
      exitCode?: number | null;
      signal?: string | null;
      environmentId?: string;
      cause?: unknown;
    },
  ) {
    const { memberId, ...rest } = info;
    super(message, rest);
    this.memberId = memberId;
  }
}

/** The member's transport failure as a `CodexPoolError` naming it; any other error unchanged. */
export function poolFailure(err: unknown, memberId: string): unknown {
  if (!(err instanceof CodexTransportError) || err instanceof CodexPoolError) return err;
  return new CodexPoolError(`pool member ${memberId}: ${err.message}`, {
    code: err.code,
    memberId,
    ...(err.exitCode !== undefined ? { exitCode: err.exitCode } : {}),
    ...(err.signal !== undefined ? { signal: err.signal } : {}),
    ...(err.environmentId !== undefined ? { environmentId: err.environmentId } : {}),
    cause: err,
  });
}
