/** One error class (`CodexAbortError`) for every abort, of a request or of a turn. */
import { CodexAbortError } from './errors';

/** The error of an aborted request (`method`) or turn (`method: 'turn'`), carrying the signal's reason. */
export function abortError(
  signal: AbortSignal,
  method: string,
  subject = method === 'turn' ? 'turn' : `request '${method}'`,
): CodexAbortError {
  return new CodexAbortError(`${subject} aborted`, { method, reason: signal.reason });
}
