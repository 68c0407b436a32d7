import { DEFAULTS } from '../defaults';
import { CodexProtocolError } from '../errors';
import type { RetryPolicy } from '../options';
import { ErrorCodes } from '../protocol/messages';

const READS = ['list', 'read', 'get', 'status'];

/** Methods that only read (`list`, `read`, `get`, `status`, or `…/<one of those>`), so repeating them after -32001 cannot do harm twice. */
export function isSafeToRetry(method: string): boolean {
  // Asked of every request: no regex, no allocation.
  const last = method.lastIndexOf('/') + 1;
  for (const read of READS) if (method.length - last === read.length && method.startsWith(read, last)) return true;
  return false;
}

/** A resolved retry policy for one method: how many retries, and the delay before each. */
export interface RetryPlan {
  readonly maxRetries: number;
  /** Delay before retry number `attempt` (1-based): exponential, capped, partly random. */
  delay(attempt: number): number;
}

/** How `method` is retried after -32001 under `policy`, or null when it is not. */
export function retryPlan(policy: RetryPolicy | false | undefined, method: string): RetryPlan | null {
  if (policy === false) return null;
  const p = policy ?? {};
  if (!(p.isRetryable ?? isSafeToRetry)(method)) return null;
  const base = p.baseDelayMs ?? DEFAULTS.retry.baseDelayMs;
  const max = p.maxDelayMs ?? DEFAULTS.retry.maxDelayMs;
  const jitter = p.jitter ?? DEFAULTS.retry.jitter;
  return {
    maxRetries: p.maxRetries ?? DEFAULTS.retry.maxRetries,
    delay: (attempt) => {
      const full = Math.min(max, base * 2 ** (attempt - 1));
      return full * (1 - jitter) + Math.random() * full * jitter;
    },
  };
}

/** True for the server's "overloaded, retry later" error. */
export function isOverloaded(err: unknown): boolean {
  return err instanceof CodexProtocolError && err.code === ErrorCodes.ServerOverloaded;
}
