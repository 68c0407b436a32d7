import { getEventListeners } from 'node:events';
import { defer, Observable, of, Subject, throwError } from 'rxjs';
import { CodexBufferOverflowError } from '../../src/errors';
import type { TurnEvent } from '../../src/models';
import { coalesceTurnEvents, eachValue } from '../../src/operators';
import { approximateBytes } from '../../src/protocol/describe';
import { newScheduler } from '../support/marbles';

/** A Subject that counts its subscribers, to see when a loop subscribes and leaves. */
function source<T>() {
  const subject = new Subject<T>();
  let subscribed = 0;
  const o = new Observable<T>((subscriber) => {
    subscribed++;
    const inner = subject.subscribe(subscriber);
    return () => {
      subscribed--;
      inner.unsubscribe();
    };
  });
  return {
    subject,
    o,
    get subscribed() {
      return subscribed;
    },
  };
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<{ values: T[]; error: unknown }> {
  const values: T[] = [];
  try {
    for await (const v of iterable) values.push(v);
  } catch (error) {
    return { values, error };
  }
  return { values, error: null };
}

describe('eachValue', () => {
  it('a for await loop gets every value, then ends with the source', async () => {
    expect(await drain(eachValue(of(1, 2, 3)))).toEqual({ values: [1, 2, 3], error: null });
  });

  it('throws the source error after the values that came before it', async () => {
    const failing = defer(() => new Observable<number>((s) => (s.next(1), s.next(2), s.error(new Error('boom')))));
    const { values, error } = await drain(eachValue(failing));
    expect(values).toEqual([1, 2]);
    expect((error as Error).message).toBe('boom');
    const sync = await drain(eachValue(throwError(() => new Error('at once'))));
    expect(sync).toEqual({ values: [], error: new Error('at once') });
  });

  it('is cold: each loop subscribes when it first pulls, not before', async () => {
    const s = source<number>();
    const iterable = eachValue(s.o);
    const it = iterable[Symbol.asyncIterator]();
    expect(s.subscribed).toBe(0);
    const first = it.next();
    expect(s.subscribed).toBe(1);
    s.subject.next(7);
    expect(await first).toEqual({ value: 7, done: false });
    const second = iterable[Symbol.asyncIterator]();
    const other = second.next();
    expect(s.subscribed).toBe(2);
    s.subject.next(8);
    expect(await other).toEqual({ value: 8, done: false });
    await it.return!();
    await second.return!();
    expect(s.subscribed).toBe(0);
  });

  it('break unsubscribes from the source; later pulls are done', async () => {
    const s = source<number>();
    const iterable = eachValue(s.o);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const v of iterable) {
        seen.push(v);
        if (v === 2) break;
      }
    })();
    for (const v of [1, 2, 3, 4]) {
      await Promise.resolve();
      s.subject.next(v);
    }
    await loop;
    expect(seen).toEqual([1, 2]);
    expect(s.subscribed).toBe(0);
  });

  it('a throw in the loop body unsubscribes too, and reaches the caller', async () => {
    const s = source<number>();
    const loop = (async () => {
      for await (const v of eachValue(s.o)) if (v === 1) throw new Error('body failed');
    })();
    await Promise.resolve();
    s.subject.next(1);
    await expect(loop).rejects.toThrow('body failed');
    expect(s.subscribed).toBe(0);
  });

  describe('a consumer slower than the source', () => {
    /** Pulls once (subscribing), pushes `values` while the consumer is busy, then drains. */
    async function slowConsumer<T>(values: T[], config: Parameters<typeof eachValue<T>>[1]) {
      const s = source<T>();
      const it = eachValue(s.o, config)[Symbol.asyncIterator]();
      const first = it.next();
      s.subject.next(values[0]!);
      await first;
      for (const v of values.slice(1)) s.subject.next(v);
      const stillSubscribed = s.subscribed;
      s.subject.complete();
      const rest: T[] = [];
      let error: unknown = null;
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
      } catch (e) {
        error = e;
      }
      return { rest, error, stillSubscribed, after: await it.next() };
    }

    it('holds up to bufferSize values and loses none', async () => {
      const r = await slowConsumer([0, 1, 2, 3], { bufferSize: 3 });
      expect(r).toMatchObject({ rest: [1, 2, 3], error: null, stillSubscribed: 1 });
    });

    it("overflow 'error' (default): the values held, then CodexBufferOverflowError; the source is unsubscribed at once", async () => {
      const r = await slowConsumer([0, 1, 2, 3, 4, 5], { bufferSize: 3 });
      expect(r.rest).toEqual([1, 2, 3]);
      expect(r.error).toBeInstanceOf(CodexBufferOverflowError);
      expect(r.error).toMatchObject({ name: 'CodexBufferOverflowError', bufferSize: 3 });
      expect(r.stillSubscribed).toBe(0);
      expect(r.after).toEqual({ value: undefined, done: true });
    });

    it("overflow 'dropOldest': the newest bufferSize values", async () => {
      const r = await slowConsumer([0, 1, 2, 3, 4, 5], { bufferSize: 3, overflow: 'dropOldest' });
      expect(r).toMatchObject({ rest: [3, 4, 5], error: null, stillSubscribed: 1 });
    });

    it('coalesce merges a value into the newest one held, before the size and overflow apply', async () => {
      const join = (a: string, b: string) => (a[0] === b[0] ? a + b : null);
      const r = await slowConsumer(['x', 'a1', 'a2', 'a3', 'b1', 'b2', 'a4', 'c1'], { bufferSize: 3, coalesce: join });
      // held: a1a2a3, b1b2, a4 (not adjacent to the other a's); c1 merges with nothing: overflow
      expect(r.rest).toEqual(['a1a2a3', 'b1b2', 'a4']);
      expect(r.error).toBeInstanceOf(CodexBufferOverflowError);
    });

    it('values taken as they come are never merged', async () => {
      const join = (a: string, b: string) => a + b;
      const s = source<string>();
      const seen: string[] = [];
      const loop = (async () => {
        for await (const v of eachValue(s.o, { coalesce: join })) seen.push(v);
      })();
      for (const v of ['a', 'b', 'c']) {
        await Promise.resolve();
        await Promise.resolve();
        s.subject.next(v);
      }
      s.subject.complete();
      await loop;
      expect(seen).toEqual(['a', 'b', 'c']);
    });
  });

  it('an overflow while subscribing (a synchronous source) also unsubscribes', async () => {
    let unsubscribed = false;
    const burst = new Observable<number>((s) => {
      for (let i = 0; i < 10; i++) s.next(i);
      return () => (unsubscribed = true);
    });
    const r = await drain(eachValue(burst, { bufferSize: 4 }));
    expect(r.values).toEqual([0, 1, 2, 3]);
    expect(r.error).toBeInstanceOf(CodexBufferOverflowError);
    expect(unsubscribed).toBe(true);
  });

  describe('bufferBytes (marbles: the loop takes the first value, then is busy while the source runs)', () => {
    const join = (a: string, b: string) => a + b;
    /** 100 characters: 216 bytes as measured. */
    const x = 'x'.repeat(100);

    /**
     * Subscribes `config`'s view of a cold `marbles` source inside a TestScheduler run (the first
     * pull waits for the first value; later values find the loop busy), checks when the source was
     * left, then drains the loop.
     */
    async function busyLoop(
      marbles: string,
      values: Record<string, string>,
      config: Parameters<typeof eachValue<string>>[1],
      left: string,
    ) {
      let it!: AsyncIterator<string>;
      let first!: Promise<IteratorResult<string>>;
      newScheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold(marbles, values);
        it = eachValue(source, config)[Symbol.asyncIterator]();
        first = it.next();
        expectSubscriptions(source.subscriptions).toBe(left);
      });
      const taken = [(await first).value as string];
      let error: unknown = null;
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) taken.push(r.value);
      } catch (e) {
        error = e;
      }
      return { taken, error };
    }

    it("merging stops at the bound: the merged value, then CodexBufferOverflowError (overflow 'error'); the source is left at that value", async () => {
      expect(approximateBytes(x)).toBe(216);
      // x twice merged: 416 bytes; a third would make 632 > 500, so it is not merged: overflow at frame 6
      const r = await busyLoop('a-x-x-x-x|', { a: 'go', x }, { bufferBytes: 500, coalesce: join }, '^-----!');
      expect(r.taken).toEqual(['go', x + x]);
      expect(r.error).toBeInstanceOf(CodexBufferOverflowError);
      expect(r.error).toMatchObject({ name: 'CodexBufferOverflowError', limit: 'bufferBytes', bufferBytes: 500, heldBytes: 416 });
    });

    it('bounds values that do not merge too, before bufferSize is reached', async () => {
      const r = await busyLoop('a-x-x-x-x|', { a: 'go', x }, { bufferBytes: 500, bufferSize: 100 }, '^-----!');
      expect(r.taken).toEqual(['go', x, x]);
      expect(r.error).toMatchObject({ limit: 'bufferBytes', bufferSize: 100, heldBytes: 432 });
    });

    it('the count bound still applies within the bytes, and says so', async () => {
      const r = await busyLoop('a-b-c-d|', { a: 'go', b: 'b', c: 'c', d: 'd' }, { bufferSize: 2, bufferBytes: 1_000 }, '^-----!');
      expect(r.taken).toEqual(['go', 'b', 'c']);
      expect(r.error).toMatchObject({ limit: 'bufferSize', bufferSize: 2 });
    });

    it("overflow 'dropOldest' drops the oldest values until the new one fits; the source runs to its end", async () => {
      const y = 'y'.repeat(100);
      const z = 'z'.repeat(200); // 416 bytes: fits only alone
      const r = await busyLoop('a-x-y-z-x|', { a: 'go', x, y, z }, { bufferBytes: 500, overflow: 'dropOldest' }, '^--------!');
      // x, y held (432); z drops both; the last x (216) drops z (416 + 216 > 500)
      expect(r).toEqual({ taken: ['go', x], error: null });
    });

    it('a value larger than the bound is held when nothing else is, and nothing merges into it', async () => {
      const big = 'b'.repeat(1_000);
      const r = await busyLoop('a-B-x|', { a: 'go', B: big, x }, { bufferBytes: 500, coalesce: join }, '^---!');
      expect(r.taken).toEqual(['go', big]);
      expect(r.error).toMatchObject({ limit: 'bufferBytes', heldBytes: approximateBytes(big) });
    });

    it('a throw from coalesce ends the loop with that error after the values held, and leaves the source', async () => {
      const failing = (a: string, b: string) => {
        if (a.length + b.length > 250) throw new RangeError('Invalid string length');
        return a + b;
      };
      // the second x merges (200 characters); the third throws, at frame 6
      const r = await busyLoop('a-x-x-x-x|', { a: 'go', x }, { coalesce: failing }, '^-----!');
      expect(r.taken).toEqual(['go', x + x]);
      expect(r.error).toBeInstanceOf(RangeError);
      expect((r.error as Error).message).toBe('Invalid string length');
    });
  });

  describe('signal', () => {
    it('an abort ends the loop at once: the values held are dropped, the source is left, CodexAbortError is thrown', async () => {
      const s = source<number>();
      const ac = new AbortController();
      const it = eachValue(s.o, { signal: ac.signal })[Symbol.asyncIterator]();
      const first = it.next();
      s.subject.next(1);
      await first;
      s.subject.next(2);
      s.subject.next(3);
      ac.abort('stop');
      expect(s.subscribed).toBe(0);
      await expect(it.next()).rejects.toMatchObject({ name: 'CodexAbortError', reason: 'stop' });
      expect(await it.next()).toEqual({ value: undefined, done: true });
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it("the source's own abort error wins when the abort errored the source first", async () => {
      const ac = new AbortController();
      const own = new Error('the source saw the abort');
      const aborting = new Observable<number>((s) => {
        s.next(1);
        s.next(2);
        ac.signal.addEventListener('abort', () => s.error(own));
      });
      const loop = (async () => {
        const seen: number[] = [];
        for await (const v of eachValue(aborting, { signal: ac.signal })) {
          seen.push(v);
          ac.abort();
        }
        return seen;
      })();
      await expect(loop).rejects.toBe(own);
    });

    it('already aborted: the first pull throws, and the listener is removed once the loop ends', async () => {
      const ac = new AbortController();
      ac.abort();
      await expect(drain(eachValue(of(1, 2), { signal: ac.signal }))).resolves.toMatchObject({
        values: [],
        error: { name: 'CodexAbortError' },
      });
      const live = new AbortController();
      await drain(eachValue(of(1, 2), { signal: live.signal }));
      expect(getEventListeners(live.signal, 'abort')).toHaveLength(0);
    });
  });

  it('checks its configuration', () => {
    expect(() => eachValue(of(1), { bufferSize: 0 })).toThrow(RangeError);
    expect(() => eachValue(of(1), { bufferSize: 1.5 })).toThrow(RangeError);
    expect(() => eachValue(of(1), { overflow: 'dropNewest' as 'error' })).toThrow(TypeError);
    expect(() => eachValue(of(1), { bufferBytes: 0 })).toThrow(RangeError);
    expect(() => eachValue(of(1), { bufferBytes: NaN })).toThrow(RangeError);
    expect(() => eachValue(of(1), { bufferBytes: '1' as unknown as number })).toThrow(RangeError);
  });
});

describe('coalesceTurnEvents', () => {
  const ids = { threadId: 't', turnId: 'u' };
  const delta = (itemId: string, text: string, itemType = 'agentMessage'): TurnEvent => ({
    ...ids,
    type: 'delta',
    itemId,
    itemType,
    delta: text,
  });

  it('joins the deltas of one item, and only those', () => {
    expect(coalesceTurnEvents(delta('m', 'Hel'), delta('m', 'lo'))).toEqual(delta('m', 'Hello'));
    expect(coalesceTurnEvents(delta('m', 'a'), delta('n', 'b'))).toBeNull();
    expect(coalesceTurnEvents(delta('m', 'a'), delta('m', 'b', 'reasoning'))).toBeNull();
    expect(coalesceTurnEvents(delta('m', 'a'), { ...delta('m', 'b'), turnId: 'other' })).toBeNull();
  });

  it('keeps the newer of two usage, plan or diff events; never merges steps, approvals or ends', () => {
    const diff = (d: string): TurnEvent => ({ ...ids, type: 'diff', diff: d });
    expect(coalesceTurnEvents(diff('old'), diff('new'))).toEqual(diff('new'));
    const plan = (explanation: string): TurnEvent => ({ ...ids, type: 'plan', explanation, plan: [] });
    expect(coalesceTurnEvents(plan('a'), plan('b'))).toEqual(plan('b'));
    expect(coalesceTurnEvents(diff('d'), plan('p'))).toBeNull();
    const started: TurnEvent = { ...ids, type: 'started' };
    expect(coalesceTurnEvents(started, started)).toBeNull();
    expect(coalesceTurnEvents(delta('m', 'a'), diff('d'))).toBeNull();
  });
});
