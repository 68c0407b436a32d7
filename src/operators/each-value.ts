import type { Observable, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexAbortError, CodexBufferOverflowError } from '../errors';
import { approximateBytes } from '../protocol/describe';

/** Configuration of `eachValue()`: the buffer between a source and a slower `for await` loop. */
export interface EachValueConfig<T> {
  /** Most values held for a loop body slower than the source (a positive integer). Default 1,000. */
  bufferSize?: number;
  /**
   * Most bytes held for a loop body slower than the source (a positive number), estimated as
   * `approximateBytes` does: two per string character, plus a little per object, array and key.
   * A value that alone is larger is still held when nothing else is (the source made it already);
   * past this bound nothing merges any more. Default 64 MiB (`DEFAULTS.iterationBufferBytes`).
   */
  bufferBytes?: number;
  /**
   * A value that finds the buffer full (`bufferSize` values, or no room left in `bufferBytes`), and
   * that `coalesce` cannot merge: `error` (the default) unsubscribes from the source and ends the
   * loop with `CodexBufferOverflowError`, after the values held; `dropOldest` drops the oldest
   * values held to make room (nothing is reported).
   */
  overflow?: 'error' | 'dropOldest';
  /**
   * Merges a value into the newest one held (while the loop body is behind), or returns null when
   * the two do not merge; values the body takes as they come are never merged. Default: none.
   * `coalesceTurnEvents` merges the text deltas of one item and superseded usage, plan, diff events.
   * A throw from it unsubscribes from the source and ends the loop with that error, after the
   * values held.
   */
  coalesce?: (held: T, value: T) => T | null;
  /**
   * Aborting ends the loop at once: the values held are dropped, the source is unsubscribed, and
   * the loop throws the error the source ended with (a chat given the same signal errors with its
   * own `CodexAbortError` first), else a `CodexAbortError` carrying the signal's reason.
   */
  signal?: AbortSignal;
}

/**
 * An async-iterable view of an Observable, for `for await`:
 *
 * ```ts
 * for await (const step of eachValue(client.chat('Run the tests'))) console.log(step.text);
 * ```
 *
 * Each loop subscribes anew when it first pulls (a cold source, such as a chat, starts its work
 * again) and unsubscribes when it ends early: `break`, `return`, or a throw in its body (a chat
 * then abandons its turn, interrupting it with `interruptOnUnsubscribe`). The source's values wait
 * for the loop body in a buffer of `bufferSize`; when it is full, see `coalesce` and `overflow`.
 * The source's error is thrown by the loop after the values held; its completion ends the loop.
 * The buffer is bounded in bytes too (`bufferBytes`), so values merged by `coalesce` cannot grow
 * without bound while the body is behind.
 */
export function eachValue<T>(source: Observable<T>, config: EachValueConfig<T> = {}): AsyncIterable<T> {
  const bufferSize = config.bufferSize ?? DEFAULTS.iterationBufferSize;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`bufferSize must be a positive integer, got ${bufferSize}`);
  const bufferBytes = config.bufferBytes ?? DEFAULTS.iterationBufferBytes;
  if (typeof bufferBytes !== 'number' || !(bufferBytes > 0))
    throw new RangeError(`bufferBytes must be a positive number, got ${bufferBytes}`);
  const overflow = config.overflow ?? 'error';
  if (overflow !== 'error' && overflow !== 'dropOldest')
    throw new TypeError(`overflow must be 'error' or 'dropOldest', got ${String(overflow)}`);
  const { coalesce = null, signal } = config;
  return { [Symbol.asyncIterator]: () => new BufferedIterator(source, { bufferSize, bufferBytes, overflow, coalesce, signal }) };
}

interface Policy<T> {
  readonly bufferSize: number;
  readonly bufferBytes: number;
  readonly overflow: 'error' | 'dropOldest';
  readonly coalesce: ((held: T, value: T) => T | null) | null;
  readonly signal: AbortSignal | undefined;
}

type End = { kind: 'complete' } | { kind: 'error'; error: unknown };

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(err: unknown): void;
}

/** One `for await` over one subscription. */
class BufferedIterator<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  /** The approximate bytes of each value held, and their sum. */
  private readonly sizes: number[] = [];
  private heldBytes = 0;
  private readonly waiters: Waiter<T>[] = [];
  private subscription: Subscription | null = null;
  private started = false;
  /** How the source ended (delivered once the buffer is drained). */
  private end: End | null = null;
  /** Returned, or the end was delivered: every later pull is done. */
  private finished = false;

  private readonly onAbort = () => this.abort();

  constructor(
    private readonly source: Observable<T>,
    private readonly policy: Policy<T>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.started) this.start();
    if (this.buffer.length > 0) return Promise.resolve({ value: this.takeOldest(), done: false });
    if (this.finished) return Promise.resolve(done());
    if (this.end) return this.deliverEnd();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The loop ended early (`break`, `return`, a throw in its body): unsubscribe, drop what is held. */
  return(): Promise<IteratorResult<T>> {
    this.finish();
    for (const w of this.waiters.splice(0)) w.resolve(done());
    return Promise.resolve(done());
  }

  private start(): void {
    this.started = true;
    const subscription = this.source.subscribe({
      next: (value) => this.push(value),
      error: (error) => this.ended({ kind: 'error', error }),
      complete: () => this.ended({ kind: 'complete' }),
    });
    // Ended (or overflowed, or returned) while subscribing: nothing more to listen to.
    if (this.end || this.finished) subscription.unsubscribe();
    else this.subscription = subscription;
    // After the source's own listener (a chat's, subscribed just now), so its abort error comes first.
    const { signal } = this.policy;
    if (signal?.aborted) this.abort();
    else if (!this.finished) signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private push(value: T): void {
    if (this.end || this.finished) return;
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve({ value, done: false });
    try {
      this.hold(value);
    } catch (error) {
      // From `coalesce` (a user's, or a merge past V8's longest string): thrown in the source's
      // next(), rxjs would rethrow it on a timer, an uncaught exception. End the loop with it instead.
      this.fail(error);
    }
  }

  /** Holds `value` for the loop body: merged into the newest value held, added, or per `overflow`. */
  private hold(value: T): void {
    const { bufferSize, bufferBytes, overflow, coalesce } = this.policy;
    const held = this.buffer.length;
    const bytes = approximateBytes(value);
    // Checked before merging: a merge past the bound would only build a value we must refuse.
    const fits = held === 0 || this.heldBytes + bytes <= bufferBytes;
    if (fits && held > 0 && coalesce) {
      const merged = coalesce(this.buffer[held - 1]!, value);
      if (merged !== null) {
        const size = approximateBytes(merged);
        const heldBytes = this.heldBytes - this.sizes[held - 1]! + size;
        if (heldBytes <= bufferBytes) {
          this.buffer[held - 1] = merged;
          this.sizes[held - 1] = size;
          this.heldBytes = heldBytes;
          return;
        }
      }
    }
    if (fits && held < bufferSize) return this.add(value, bytes);
    if (overflow === 'dropOldest') {
      while (this.buffer.length > 0 && (this.buffer.length >= bufferSize || this.heldBytes + bytes > bufferBytes)) this.takeOldest();
      return this.add(value, bytes);
    }
    const message = fits
      ? `the consumer fell ${bufferSize} values behind (bufferSize ${bufferSize}, overflow 'error'): the source was unsubscribed`
      : `the consumer fell ${this.heldBytes} bytes behind, and a value of ${bytes} more did not fit (bufferBytes ${bufferBytes}, overflow 'error'): the source was unsubscribed`;
    this.fail(
      new CodexBufferOverflowError(message, bufferSize, {
        limit: fits ? 'bufferSize' : 'bufferBytes',
        bufferBytes,
        heldBytes: this.heldBytes,
      }),
    );
  }

  private add(value: T, bytes: number): void {
    this.buffer.push(value);
    this.sizes.push(bytes);
    this.heldBytes += bytes;
  }

  private takeOldest(): T {
    this.heldBytes -= this.sizes.shift()!;
    return this.buffer.shift()!;
  }

  /** Ends the loop with `error` after the values held, and leaves the source. */
  private fail(error: unknown): void {
    this.ended({ kind: 'error', error });
    this.subscription?.unsubscribe();
  }

  /** The signal aborted: drop what is held; the next pull throws the source's abort error, or one of ours. */
  private abort(): void {
    if (this.finished) return;
    this.clear();
    if (!this.end || this.end.kind === 'complete') {
      this.end = null;
      this.ended({ kind: 'error', error: new CodexAbortError('iteration aborted', { reason: this.policy.signal!.reason }) });
    }
    this.subscription?.unsubscribe();
  }

  private ended(end: End): void {
    if (this.end || this.finished) return;
    this.end = end;
    // A waiter means nothing is held: the first gets the end now, any others (pulls that did not
    // wait for the one before) are done.
    const [first, ...others] = this.waiters.splice(0);
    if (!first) return;
    this.deliverEnd().then(first.resolve, first.reject);
    for (const w of others) w.resolve(done());
  }

  /** The end, once: the error is thrown by this pull only; later pulls are done. */
  private deliverEnd(): Promise<IteratorResult<T>> {
    const end = this.end!;
    this.finish();
    return end.kind === 'error' ? Promise.reject(end.error) : Promise.resolve(done());
  }

  private clear(): void {
    this.buffer.length = 0;
    this.sizes.length = 0;
    this.heldBytes = 0;
  }

  private finish(): void {
    this.finished = true;
    this.policy.signal?.removeEventListener('abort', this.onAbort);
    this.clear();
    const subscription = this.subscription;
    this.subscription = null;
    subscription?.unsubscribe();
  }
}

function done<T>(): IteratorResult<T> {
  return { value: undefined, done: true };
}
