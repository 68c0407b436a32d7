/** HotSource: the Subject contract a transport's messages$ relies on, without a Subject's per-value garbage. */
import { Subject, take } from 'rxjs';
import { HotSource } from '../../src/streams/hot-source';

/** What a subscriber saw. */
function record<T>() {
  const seen: string[] = [];
  return {
    seen,
    observer: {
      next: (v: T) => seen.push(`next ${String(v)}`),
      error: (e: unknown) => seen.push(`error ${(e as Error).message}`),
      complete: () => seen.push('complete'),
    },
  };
}

/** Runs the same script against a Subject and a HotSource: the two must agree. */
function both(
  script: (
    source: { next(v: number): void; error(e: unknown): void; complete(): void },
    subscribe: (o: ReturnType<typeof record<number>>['observer']) => { unsubscribe(): void },
  ) => void,
): string[][] {
  const runs: string[][] = [];
  for (const kind of ['subject', 'hot'] as const) {
    const log: string[] = [];
    const subject = new Subject<number>();
    const hot = new HotSource<number>();
    const source = kind === 'subject' ? subject : hot;
    const observable = kind === 'subject' ? subject.asObservable() : hot.observable;
    let n = 0;
    script(source, (o) => {
      const id = n++;
      return observable.subscribe({
        next: (v) => (log.push(`${id}: next ${v}`), o.next(v)),
        error: (e) => (log.push(`${id}: error ${(e as Error).message}`), o.error(e)),
        complete: () => (log.push(`${id}: complete`), o.complete()),
      });
    });
    runs.push(log);
  }
  expect(runs[1]).toEqual(runs[0]);
  return runs;
}

describe('HotSource', () => {
  it('multicasts to the current subscribers in order; a late subscriber sees only later values', () => {
    const [log] = both((source, subscribe) => {
      subscribe(record<number>().observer);
      source.next(1);
      subscribe(record<number>().observer);
      source.next(2);
      source.complete();
      source.next(3);
    });
    expect(log).toEqual(['0: next 1', '0: next 2', '1: next 2', '0: complete', '1: complete']);
  });

  it('after an error, a late subscriber gets the error at once; after complete, completion', () => {
    const [failed] = both((source, subscribe) => {
      subscribe(record<number>().observer);
      source.error(new Error('link down'));
      subscribe(record<number>().observer);
    });
    expect(failed).toEqual(['0: error link down', '1: error link down']);
    const [completed] = both((source, subscribe) => {
      source.complete();
      subscribe(record<number>().observer);
    });
    expect(completed).toEqual(['0: complete']);
  });

  it('a subscriber that leaves during a value gets no more; the others still get that value', () => {
    const [log] = both((source, subscribe) => {
      const first = record<number>();
      const subs: Array<{ unsubscribe(): void }> = [];
      first.observer.next = () => {
        subs[0]?.unsubscribe();
        return 0;
      };
      subs.push(subscribe(first.observer));
      subscribe(record<number>().observer);
      source.next(1);
      source.next(2);
    });
    expect(log).toEqual(['0: next 1', '1: next 1', '1: next 2']);
  });

  it('take(1) unsubscribes inside its next; observed says whether anyone listens', () => {
    const hot = new HotSource<number>();
    const seen: number[] = [];
    hot.observable.pipe(take(1)).subscribe((v) => seen.push(v));
    expect(hot.observed).toBe(true);
    hot.next(1);
    expect(hot.observed).toBe(false);
    hot.next(2);
    expect(seen).toEqual([1]);
  });
});
