import type { Observable, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexAbortError, CodexBufferOverflowError } from '../errors';

/** Configuration of `eachValue()`: the buffer between a source and a slower `for await` loop. */
export interface EachValueConfig<T> {
  /** Most values held for a loop body slower than the source (a positive integer). Default 1,000. */
  bufferSize?: number;
  /**
   * A value that finds the buffer full, and that `coalesce` cannot merge: `error` (the default)
   * unsubscribes from the source and ends the loop with `CodexBufferOverflowError`, after the
   * values held; `dropOldest` drops the oldest value held to make room (nothing is reported).
   */
  overflow?: 'error' | 'dropOldest';
  /**
   * Merges a value into the newest one held (while the loop body is behind), or returns null when
   * the two do not merge; values the body takes as they come are never merged. Default: none.
   * `coalesceTurnEvents` merges the text deltas of one item and superseded usage, plan, diff events.
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
 */
export function eachValue<T>(source: Observable<T>, config: EachValueConfig<T> = {}): AsyncIterable<T> {
  const bufferSize = config.bufferSize ?? DEFAULTS.iterationBufferSize;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`bufferSize must be a positive integer, got ${bufferSize}`);
  const overflow = config.overflow ?? 'error';
  if (overflow !== 'error' && overflow !== 'dropOldest')
    throw new TypeError(`overflow must be 'error' or 'dropOldest', got ${String(overflow)}`);
  const { coalesce = null, signal } = config;
  return { [Symbol.asyncIterator]: () => new BufferedIterator(source, { bufferSize, overflow, coalesce, signal }) };
}

interface Policy<T> {
  readonly bufferSize: number;
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
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
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
    const { bufferSize, overflow, coalesce } = this.policy;
    const held = this.buffer.length;
    const merged = held > 0 && coalesce ? coalesce(this.buffer[held - 1]!, value) : null;
    if (merged !== null) {
      this.buffer[held - 1] = merged;
    } else if (held < bufferSize) {
      this.buffer.push(value);
    } else if (overflow === 'dropOldest') {
      this.buffer.shift();
      this.buffer.push(value);
    } else {
      const error = new CodexBufferOverflowError(
        `the consumer fell ${bufferSize} values behind (bufferSize ${bufferSize}, overflow 'error'): the source was unsubscribed`,
        bufferSize,
      );
      this.ended({ kind: 'error', error });
      this.subscription?.unsubscribe();
    }
  }

  /** The signal aborted: drop what is held; the next pull throws the source's abort error, or one of ours. */
  private abort(): void {
    if (this.finished) return;
    this.buffer.length = 0;
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

  private finish(): void {
    this.finished = true;
    this.policy.signal?.removeEventListener('abort', this.onAbort);
    this.buffer.length = 0;
    const subscription = this.subscription;
    this.subscription = null;
    subscription?.unsubscribe();
  }
}

function done<T>(): IteratorResult<T> {
  return { value: undefined, done: true };
}
