import { asyncScheduler, MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { CodexTurnInactiveError } from '../errors';
import type { ChatContinuation } from '../models';
import { guard, operate, operatorObserver } from './util/operate';

/** Configuration of `inactivityTimeout()`. */
export interface InactivityTimeoutConfig<T = unknown> {
  /** Source of time. Default `asyncScheduler` (virtual inside `TestScheduler.run`). */
  scheduler?: SchedulerLike;
  /**
   * While this returns true the deadline is not enforced (e.g. an approval waits for a person);
   * the wait restarts from when it is checked. A throw errors the stream.
   */
  isPaused?: () => boolean;
  /**
   * Whether a value counts as activity (default: every value does). A value that does not still
   * passes through, but does not move the deadline: e.g. a server's retry notices, which say it is
   * stuck, not that it progresses. A throw errors the stream.
   */
  isActivity?: (value: T) => boolean;
}

/**
 * Errors with `CodexTurnInactiveError` (carrying `continuation()`) when `ms` pass without a value.
 * A value only moves the deadline (one timer, re-armed lazily when it fires early), so a stream of
 * many values costs no timer work per value. `ms` of null or Infinity disables it. A throw from
 * `continuation` or `isPaused` errors the stream with that exception.
 */
export function inactivityTimeout<T>(
  ms: number | null,
  continuation: () => ChatContinuation,
  config: InactivityTimeoutConfig<T> = {},
): MonoTypeOperatorFunction<T> {
  if (ms === null || ms === Infinity) return (source) => source;
  const scheduler = config.scheduler ?? asyncScheduler;
  const isActivity = config.isActivity;
  return operate((source, subscriber) => {
    let last = scheduler.now();
    let timer: Subscription | undefined;
    const arm = (delay: number) => {
      timer = scheduler.schedule(check, delay);
    };
    const check = () =>
      guard(subscriber, () => {
        const idle = scheduler.now() - last;
        if (config.isPaused?.()) {
          last = scheduler.now();
          arm(ms);
        } else if (idle >= ms) {
          subscriber.error(new CodexTurnInactiveError(`turn inactive for ${ms} ms`, continuation(), ms));
        } else {
          arm(ms - idle);
        }
      });
    arm(ms);
    const inner = source.subscribe(
      operatorObserver<T>(subscriber, (value) => {
        if (!isActivity || isActivity(value)) last = scheduler.now();
        subscriber.next(value);
      }),
    );
    return () => {
      timer?.unsubscribe();
      inner.unsubscribe();
    };
  });
}
