import { asyncScheduler, SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * A real-time scheduler (asyncScheduler underneath) that counts the actions it has pending, so a
 * spec can assert that the code under test left no timer of its own behind, without counting
 * every `Timeout` handle in the process (jest's and other specs' included).
 */
export function countingScheduler(): SchedulerLike & { readonly pending: number } {
  const live = new Set<Subscription>();
  return {
    now: () => asyncScheduler.now(),
    get pending() {
      return live.size;
    },
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      const run = function (this: SchedulerAction<T>, s?: T) {
        live.delete(action);
        work.call(this, s);
      };
      const action = asyncScheduler.schedule(run, delay, state);
      live.add(action);
      action.add(() => live.delete(action));
      return action;
    },
  };
}
