import { firstValueFrom, map, timer, type SchedulerLike } from 'rxjs';
import { newScheduler, virtualClock } from './marbles';

describe('newScheduler()', () => {
  it('compares deeply and fails on a different marble', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a|', { a: { n: [1] } })).toBe('-b|', { b: { n: [1] } });
    });
    expect(() =>
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-a|', { a: { n: [1] } })).toBe('--b|', { b: { n: [1] } });
      }),
    ).toThrow();
  });
});

describe('virtualClock()', () => {
  /** Two timers chained through Promises: the second is scheduled only once the first resolved. */
  function chain(scheduler: SchedulerLike, log: string[]) {
    return (async () => {
      await firstValueFrom(timer(1_000, scheduler));
      log.push(`first at ${scheduler.now()}`);
      await firstValueFrom(timer(1_000, scheduler).pipe(map(() => 0)));
      log.push(`second at ${scheduler.now()}`);
    })();
  }

  it('runs timers scheduled by Promise callbacks, each at its own virtual time', async () => {
    const clock = virtualClock();
    const log: string[] = [];
    const done = chain(clock.scheduler, log);
    await clock.advance(999);
    expect(log).toEqual([]);
    expect(clock.now()).toBe(999);
    await clock.advance(1);
    expect(log).toEqual(['first at 1000']);
    await clock.advance(5_000);
    expect(log).toEqual(['first at 1000', 'second at 2000']);
    expect(clock.now()).toBe(6_000);
    await done;
  });

  it('where a plain flush() stops after the first timer', async () => {
    const clock = virtualClock();
    const log: string[] = [];
    void chain(clock.scheduler, log);
    clock.scheduler.flush();
    await clock.settle();
    expect(log).toEqual(['first at 1000']);
    expect(clock.scheduler.actions).toHaveLength(1); // the second timer, left unrun
  });
});
