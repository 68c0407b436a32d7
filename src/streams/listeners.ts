import { Subscription } from 'rxjs';

/** Adds `listener` to `listeners`; the returned `Subscription` takes it out again. */
export function addListener<T>(listeners: T[], listener: T): Subscription {
  listeners.push(listener);
  return new Subscription(() => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  });
}
