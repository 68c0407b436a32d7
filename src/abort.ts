/**
 * `AbortSignal` helpers shared by requests and turns: one error class (`CodexAbortError`) for
 * every abort, and waits that end at once when the signal fires.
 */
import { CodexAbortError } from './errors';

/** The error of an aborted request (`method`) or turn (`method: 'turn'`), carrying the signal's reason. */
export function abortError(
  signal: AbortSignal,
  method: string,
  subject = method === 'turn' ? 'turn' : `request '${method}'`,
): CodexAbortError {
  return new CodexAbortError(`${subject} aborted`, { method, reason: signal.reason });
}

/**
 * `p`, or a rejection with `CodexAbortError` as soon as `signal` aborts (at once when it already
 * has). The listener is removed when either happens, so a long-lived signal gathers none.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, method: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal, method));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, method));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
