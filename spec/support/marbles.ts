/** Shared helpers of the marble and virtual-time specs. */
import { VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { advanceVirtualTime, flushMicrotasks } from '../../src/testing/virtual-time';

/** A fresh `TestScheduler` whose assertions compare deeply (jest `toEqual`). */
export function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Virtual time for client-level specs, where Promises must run between timer callbacks. */
export interface VirtualClock {
  /** The scheduler to give the client (`ClientOptions.scheduler`) and the fake server. */
  readonly scheduler: VirtualTimeScheduler;
  /** Virtual milliseconds since the clock started. */
  now(): number;
  /** Runs what is due in the next `ms` virtual ms, in order, letting Promises settle in between. */
  advance(ms: number): Promise<void>;
  /** Lets pending Promises run without moving the clock. */
  settle(): Promise<void>;
}

/** A `VirtualTimeScheduler` stepped with `advanceVirtualTime` (see there). */
export function virtualClock(scheduler: VirtualTimeScheduler = new VirtualTimeScheduler()): VirtualClock {
  return {
    scheduler,
    now: () => scheduler.now(),
    advance: (ms) => advanceVirtualTime(scheduler, ms),
    settle: () => flushMicrotasks(),
  };
}
