import { DEFAULTS } from '../defaults';

/** How a transport re-establishes a dropped link. */
export interface ReconnectOptions {
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

/** `ReconnectOptions` with the defaults applied. */
export type Backoff = Required<ReconnectOptions>;

/** The defaults ride out an outage of several minutes; one of 30 s costs about 10 attempts. */
export function backoffOf(options: boolean | ReconnectOptions | undefined, defaults: Backoff = DEFAULTS.reconnect): Backoff | null {
  if (!options) return null;
  return { ...defaults, ...(options === true ? {} : dropUndefined(options)) };
}

/** The delay before attempt `attempt` (1-based): exponential, capped, partly random. */
export function backoffDelay(b: Backoff, attempt: number, random: () => number = Math.random): number {
  const full = Math.min(b.maxDelayMs, b.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(full * (1 - b.jitter) + random() * full * b.jitter);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
