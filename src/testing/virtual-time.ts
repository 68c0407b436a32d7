import type { VirtualTimeScheduler } from 'rxjs';

/**
 * Advances a `VirtualTimeScheduler` (or a `TestScheduler` used outside `run()`) by `ms` virtual
 * milliseconds, running its due actions in order, and letting Promises settle before and after
 * each of them.
 *
 * `scheduler.flush()` alone runs every due action in one synchronous loop, so a timer whose
 * callback resolves a Promise (a script's `await turn.wait(ms)`, the client's `await` of a
 * response) could not schedule its next action before the loop ends. Here each due frame is run on
 * its own, then pending microtasks and one macrotask turn are let through, so async code observes
 * virtual time as it would real time. Needs real `setImmediate`/`setTimeout` (no fake timers).
 */
export async function advanceVirtualTime(scheduler: VirtualTimeScheduler, ms: number): Promise<void> {
  if (!(ms >= 0)) throw new RangeError(`advanceVirtualTime: ms must be >= 0, got ${ms}`);
  const target = scheduler.frame + ms;
  const maxFrames = scheduler.maxFrames;
  try {
    await flushMicrotasks();
    for (let next = scheduler.actions[0]; next && next.delay <= target; next = scheduler.actions[0]) {
      // VirtualAction.delay is the absolute frame it is due at.
      scheduler.maxFrames = next.delay;
      scheduler.flush();
      await flushMicrotasks();
    }
  } finally {
    scheduler.maxFrames = maxFrames;
  }
  if (scheduler.frame < target) scheduler.frame = target;
}

/** Resolves after one macrotask turn, so every pending microtask (Promise callbacks, `queueMicrotask`) has run. */
export function flushMicrotasks(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise<void>((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
