import { asyncScheduler, SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { CodexTimeoutError, CodexTurnInactiveError } from '../../src/errors';
import type { ChatContinuation } from '../../src/models';
import { inactivityTimeout } from '../../src/operators';
import { newScheduler } from '../support/marbles';

function continuationCounter() {
  let calls = 0;
  const make = (): ChatContinuation => ({ threadId: 'thr', turnId: 'turn', cursor: ++calls * 10, mode: 'stream' });
  return {
    make,
    get calls() {
      return calls;
    },
  };
}

const inactive = (cursor: number, idleMs: number) =>
  expect.objectContaining({
    name: 'CodexTurnInactiveError',
    idleMs,
    continuation: { threadId: 'thr', turnId: 'turn', cursor, mode: 'stream' },
  });

describe('inactivityTimeout', () => {
  it('errors exactly `ms` after the last value', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const c = continuationCounter();
      const source = hot('-a-b');
      // b at frame 3, deadline 3 + 10 = 13
      expectObservable(source.pipe(inactivityTimeout(10, c.make))).toBe('-a-b 9ms #', undefined, inactive(10, 10));
    });
  });

  it('errors `ms` after subscription when nothing comes at all', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-').pipe(inactivityTimeout(5, continuationCounter().make))).toBe('5ms #', undefined, inactive(10, 5));
    });
  });

  it('does not fire when a value arrives one frame before the deadline, then fires `ms` after that value', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot('a 8ms b'); // a at 0, b at 9: one frame before the first deadline (10)
      expectObservable(source.pipe(inactivityTimeout(10, continuationCounter().make))).toBe('a 8ms b 9ms #', undefined, inactive(10, 10));
    });
  });

  it('the error is a CodexTurnInactiveError (a CodexTimeoutError) carrying the continuation and idleMs', () => {
    const c = continuationCounter();
    let caught: unknown;
    newScheduler().run(({ cold, flush }) => {
      cold('a')
        .pipe(inactivityTimeout(7, c.make))
        .subscribe({ error: (e) => (caught = e) });
      flush();
    });
    expect(caught).toBeInstanceOf(CodexTurnInactiveError);
    expect(caught).toBeInstanceOf(CodexTimeoutError);
    const err = caught as CodexTurnInactiveError;
    expect(err.idleMs).toBe(7);
    expect(err.info).toEqual({ method: 'turn', timeoutMs: 7 });
    expect(err.continuation).toEqual({ threadId: 'thr', turnId: 'turn', cursor: 10, mode: 'stream' });
    expect(c.calls).toBe(1); // computed when it fires, not per value
  });

  it('isPaused suppresses the deadline while it holds, and the wait restarts when it stops holding', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      let scheduler!: { now(): number };
      const paused = () => scheduler.now() < 25;
      // checks at 10 and 20 are paused (deadline moves to 30); at 30 not paused and idle 10 → error
      const source = hot('a');
      expectObservable(
        source.pipe(
          inactivityTimeout(10, continuationCounter().make, {
            isPaused: paused,
            scheduler: (scheduler = new SchedulerProxy()),
          }),
        ),
      ).toBe('a 29ms #', undefined, inactive(10, 10));
    });
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot('-a 40ms |');
      expectObservable(source.pipe(inactivityTimeout(10, continuationCounter().make, { isPaused: () => true }))).toBe('-a 40ms |');
    });
  });

  it('null (or Infinity) ms never fires', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-a 500ms b 1000ms |').pipe(inactivityTimeout(null, continuationCounter().make))).toBe('-a 500ms b 1000ms |');
      expectObservable(hot('-a 500ms |').pipe(inactivityTimeout(Infinity, continuationCounter().make))).toBe('-a 500ms |');
    });
  });

  it('unsubscribes from the source when it fires, and passes source errors through', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a');
      expectObservable(source.pipe(inactivityTimeout(3, continuationCounter().make))).toBe('-a 2ms #', undefined, inactive(10, 3));
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-#', undefined, new Error('gone')).pipe(inactivityTimeout(10, continuationCounter().make))).toBe(
        '-a-#',
        undefined,
        new Error('gone'),
      );
    });
  });
});

/** The asyncScheduler seen through a proxy (still virtual inside run()): proves `config.scheduler` is used. */
class SchedulerProxy implements SchedulerLike {
  now(): number {
    return asyncScheduler.now();
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  }
}

describe('inactivityTimeout: exceptions from the caller’s callbacks', () => {
  it('a continuation() that throws errors the stream with that exception when the timeout fires', () => {
    const boom = new Error('no continuation');
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot('a----');
      const out = source.pipe(
        inactivityTimeout(3, () => {
          throw boom;
        }),
      );
      expectObservable(out).toBe('a--#', undefined, boom);
    });
  });

  it('an isPaused() that throws errors the stream with that exception', () => {
    const boom = new Error('cannot tell');
    newScheduler().run(({ hot, expectObservable }) => {
      const out = hot('-----').pipe(
        inactivityTimeout(2, continuationCounter().make, {
          isPaused: () => {
            throw boom;
          },
        }),
      );
      expectObservable(out).toBe('--#', undefined, boom);
    });
  });
});

describe('inactivityTimeout: values that are not activity', () => {
  it('pass through without moving the deadline', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      // r: retry notices every 2 frames; a: real progress at frame 1
      const source = hot('-a-r-r-r-r-r', { a: 'progress', r: 'retry' });
      const out = source.pipe(inactivityTimeout(5, continuationCounter().make, { isActivity: (v) => v !== 'retry' }));
      expectObservable(out).toBe('-a-r-r#', { a: 'progress', r: 'retry' }, inactive(10, 5));
    });
  });
});
