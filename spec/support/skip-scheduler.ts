import { asyncScheduler, SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * A real-time scheduler (asyncScheduler underneath) whose clock a spec can move ahead: `skip(ms)`
 * adds `ms` to `now()` and at once runs every action that is then due, as if that much time had
 * passed. For specs against a real server, where the deadline under test must be generous (a loaded
 * machine has long real gaps between frames) yet the spec must see it pass without sleeping it out.
 */
export interface SkipScheduler extends SchedulerLike {
  /** Moves the clock `ms` ahead and runs what fell due (in due order). */
  skip(ms: number): void;
}

export function skipScheduler(): SkipScheduler {
  let skew = 0;
  const pending = new Set<{ due: number; run(): void }>();
  const now = () => asyncScheduler.now() + skew;
  return {
    now,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const handle = new Subscription();
      let timer = Subscription.EMPTY;
      const entry = { due: 0, run: () => undefined as void };
      // One entry per scheduled work: a work that reschedules itself (`this.schedule`) re-arms it.
      const arm = (s: T | undefined, ms: number) => {
        entry.due = now() + ms;
        entry.run = () => {
          pending.delete(entry);
          timer.unsubscribe();
          work.call(self, s);
        };
        timer = asyncScheduler.schedule(() => entry.run(), ms);
        pending.add(entry);
      };
      const self = {
        schedule(next?: T, nextDelay = 0) {
          if (!handle.closed) arm(next, nextDelay);
          return handle;
        },
      } as unknown as SchedulerAction<T>;
      handle.add(() => {
        pending.delete(entry);
        timer.unsubscribe();
      });
      arm(state, delay);
      return handle;
    },
    skip(ms: number) {
      skew += ms;
      const due = [...pending].filter((e) => e.due <= now()).sort((a, b) => a.due - b.due);
      for (const entry of due) if (pending.has(entry)) entry.run();
    },
  };
}
