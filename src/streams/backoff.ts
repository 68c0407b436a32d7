import { DEFAULTS } from '../defaults';

/**
 * The backoff every retry in codex-rx waits by (an overloaded request, a redial, a restart): the
 * delay before attempt `n` is `initialDelayMs × 2^(n-1)`, at most `maxDelayMs`, of which the
 * fraction `jitter` is random. Each option that backs off extends it and states its defaults.
 */
export interface BackoffOptions {
  /** Delay before the first attempt; it doubles per attempt. */
  initialDelayMs?: number;
  /** Upper bound of one delay. */
  maxDelayMs?: number;
  /** Fraction of each delay that is random (0..1), so that many clients do not retry in step. */
  jitter?: number;
}

/** `BackoffOptions` resolved: what `backoffDelay` takes. */
export type Backoff = Required<BackoffOptions>;

/** How a transport re-establishes a dropped link. */
export interface ReconnectOptions extends BackoffOptions {
  /** Delay before the first attempt. Default 250 ms. */
  initialDelayMs?: number;
  /** Upper bound of one delay (it doubles per attempt). Default 5,000 ms. */
  maxDelayMs?: number;
  /** Fraction of each delay that is random (0..1), so that many clients do not redial in step. Default 0.5. */
  jitter?: number;
  /** Attempts before giving up (`Infinity`: never). Default Infinity. */
  maxAttempts?: number;
  /** Time since the drop after which no new attempt starts (`Infinity`: never). Default 300,000 ms. */
  giveUpAfterMs?: number;
}

/** `options` (`true`: the defaults; falsy: none) over `defaults`, keys given as `undefined` left at their default. */
export function backoffOf<O extends object>(options: boolean | O | undefined, defaults: Required<O>): Required<O> | null {
  if (!options) return null;
  return { ...defaults, ...(options === true ? {} : dropUndefined(options)) };
}

/** `ReconnectOptions` resolved (the defaults ride out an outage of several minutes; one of 30 s costs about 10 attempts). */
export function reconnectOf(options: boolean | ReconnectOptions | undefined): Required<ReconnectOptions> | null {
  return backoffOf(options, DEFAULTS.reconnect);
}

/** The delay before attempt `attempt` (1-based): exponential, capped, partly random; whole milliseconds. */
export function backoffDelay(b: Backoff, attempt: number, random: () => number = Math.random): number {
  const full = Math.min(b.maxDelayMs, b.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(full * (1 - b.jitter) + random() * full * b.jitter);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
