import { DEFAULTS } from '../defaults';
import type { RetryPolicy } from '../options';
import { backoffDelay } from './backoff';

const READS = ['list', 'read', 'get', 'status'];

/** Methods that only read (`list`, `read`, `get`, `status`, or `…/<one of those>`), so repeating them after -32001 cannot do harm twice. */
export function isSafeToRetry(method: string): boolean {
  // Asked of every request: no regex, no allocation.
  const last = method.lastIndexOf('/') + 1;
  for (const read of READS) if (method.length - last === read.length && method.startsWith(read, last)) return true;
  return false;
}

/** A resolved retry policy: which methods it retries, how many times, and the delay before each. */
export interface RetryPlan {
  readonly maxRetries: number;
  isRetryable(method: string): boolean;
  /** Delay before retry number `attempt` (1-based): exponential, capped, partly random. */
  delay(attempt: number): number;
}

/** `policy` resolved once per connection (null: no retries), so a request costs no allocation for it. */
export function retryPlan(policy: RetryPolicy | false | undefined): RetryPlan | null {
  if (policy === false) return null;
  const p = policy ?? {};
  const backoff = {
    initialDelayMs: p.initialDelayMs ?? p.baseDelayMs ?? DEFAULTS.retry.initialDelayMs,
    maxDelayMs: p.maxDelayMs ?? DEFAULTS.retry.maxDelayMs,
    jitter: p.jitter ?? DEFAULTS.retry.jitter,
  };
  return {
    maxRetries: p.maxRetries ?? DEFAULTS.retry.maxRetries,
    isRetryable: p.isRetryable ?? isSafeToRetry,
    delay: (attempt) => backoffDelay(backoff, attempt),
  };
}
