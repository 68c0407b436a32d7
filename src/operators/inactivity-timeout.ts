import { asyncScheduler, MonoTypeOperatorFunction, Observable, SchedulerLike, Subscription } from 'rxjs';
import { CodexTurnInactiveError } from '../errors';
import type { ChatContinuation } from '../models';

/** Configuration of `inactivityTimeout()`. */
export interface InactivityTimeoutConfig {
  /** Source of time. Default `asyncScheduler` (virtual inside `TestScheduler.run`). */
  scheduler?: SchedulerLike;
  /**
   * While this returns true the deadline is not enforced (e.g. an approval waits for a person);
   * the wait restarts from when it is checked.
   */
  isPaused?: () => boolean;
}

/**
 * Errors with `CodexTurnInactiveError` (carrying `continuation()`) when `ms` pass without a value.
 * A value only moves the deadline (one timer, re-armed lazily when it fires early), so a stream of
 * many values costs no timer work per value. `ms` of null or Infinity disables it.
 */
export function inactivityTimeout<T>(
  ms: number | null,
  continuation: () => ChatContinuation,
  config: InactivityTimeoutConfig = {},
): MonoTypeOperatorFunction<T> {
  return (source) => {
    if (ms === null || ms === Infinity) return source;
    const scheduler = config.scheduler ?? asyncScheduler;
    return new Observable<T>((subscriber) => {
      let last = scheduler.now();
      let timer: Subscription | undefined;
      const arm = (delay: number) => {
        timer = scheduler.schedule(check, delay);
      };
      const check = () => {
        const idle = scheduler.now() - last;
        if (config.isPaused?.()) {
          last = scheduler.now();
          arm(ms);
        } else if (idle >= ms) {
          subscriber.error(new CodexTurnInactiveError(`turn inactive for ${ms} ms`, continuation(), ms));
        } else {
          arm(ms - idle);
        }
      };
      arm(ms);
      const inner = source.subscribe({
        next: (value) => {
          last = scheduler.now();
          subscriber.next(value);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer?.unsubscribe();
        inner.unsubscribe();
      };
    });
  };
}
