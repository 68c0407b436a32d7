import { Observable, Observer, OperatorFunction, Subscriber, TeardownLogic } from 'rxjs';

/**
 * Builds an operator the way RxJS builds its own (written here, not imported from rxjs/internal):
 * `init` subscribes to the source on behalf of `subscriber`. A throw from `init` goes down the
 * error channel instead of escaping `subscribe()`.
 */
export function operate<T, R>(init: (source: Observable<T>, subscriber: Subscriber<R>) => TeardownLogic): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      try {
        return init(source, subscriber);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
    });
}

/**
 * An observer of the source that forwards to `destination`, running `onNext` (and `onComplete`)
 * guarded: an exception there, such as one thrown by a user callback, errors `destination`
 * instead of becoming an unhandled error. Errors of the source pass through.
 */
export function operatorObserver<T>(destination: Subscriber<unknown>, onNext: (value: T) => void, onComplete?: () => void): Observer<T> {
  return {
    next: (value) => {
      try {
        onNext(value);
      } catch (err) {
        destination.error(err);
      }
    },
    error: (err) => destination.error(err),
    complete: onComplete
      ? () => {
          try {
            onComplete();
          } catch (err) {
            destination.error(err);
          }
        }
      : () => destination.complete(),
  };
}

/** Runs `fn` (a user callback inside a scheduled action, say); a throw errors `destination`. */
export function guard(destination: Subscriber<unknown>, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    destination.error(err);
  }
}
