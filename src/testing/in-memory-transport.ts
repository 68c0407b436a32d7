import { isObservable, Observable, Subject, Subscription } from 'rxjs';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { InvalidLine, ndjson, OversizedFrame } from '../streams/ndjson';
import type { Transport } from '../streams/transport';
import { HotSource } from '../streams/hot-source';

/**
 * A scripted server: called with each parsed outbound frame; returns what the fake server sends
 * back (one frame, several, or nothing). A returned string is delivered as a raw line.
 */
export type AutoResponder = (frame: Record<string, unknown>) => InboundValue | InboundValue[] | undefined | void;

/** What can be fed to the transport: a frame (any JSON value) or a raw line of text. */
export type InboundValue = object | string;

/** Options of an `InMemoryTransport`. */
export interface InMemoryTransportOptions {
  /**
   * Inbound traffic, subscribed at `start()` (so a marble `cold()` observable starts there):
   * objects are frames, strings are raw lines (they go through the NDJSON path, so garbage can be
   * injected), `Uint8Array`s are raw byte chunks (no newline added). Its completion only ends the
   * script (the connection stays up); its error kills the transport like `fail()`.
   */
  inbound$?: Observable<unknown>;
  /** Scripted server: see `AutoResponder`. */
  autoRespond?: AutoResponder;
  /**
   * When `autoRespond`'s answer is delivered: `'microtask'` (default, like a real peer: after
   * `send()` returns) or `'sync'` (inside `send()`, re-entrantly).
   */
  autoRespondMode?: 'microtask' | 'sync';
  /** Makes `start()` reject with this (wrapped in `CodexTransportError` unless it is one). */
  startError?: Error;
  /** Longest raw line accepted (see `NdjsonConfig.maxFrameBytes`). Default 64 MiB. */
  maxFrameBytes?: number;
}

/**
 * A `Transport` held entirely in memory, for marble tests and fault injection. Inbound frames are
 * fed with `receive`/`receiveLine`/`receiveChunk` or an `inbound$` observable; outbound frames are
 * recorded in `sent`/`sentLines` and emitted on `sent$`. `fail()` and `exit()` kill it like a dead
 * connection or a crashed process.
 *
 * Frames fed before `start()` are queued and delivered at `start()`; frames fed after the
 * transport ended are dropped, like bytes written to a dead pipe.
 */
export class InMemoryTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  /** Every frame the client sent, parsed, in order. */
  readonly sent: Record<string, unknown>[] = [];
  /** Every text the client sent, exactly as passed to `send()`. */
  readonly sentLines: string[] = [];
  /** Hot: each outbound frame as it is sent. Completes when the transport ends. */
  readonly sent$: Observable<Record<string, unknown>>;

  private readonly messages = new HotSource<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly sentSubject = new Subject<Record<string, unknown>>();
  /** Raw text and bytes, framed by the same `ndjson()` operator the stdio transport uses. */
  private readonly raw = new Subject<string | Uint8Array>();
  private readonly rawSubscription: Subscription;
  private readonly options: InMemoryTransportOptions;
  private readonly queue: Array<() => void> = [];
  private inboundSubscription: Subscription | null = null;
  private state: 'new' | 'open' | 'ended' = 'new';
  private startCount = 0;
  private endReason: CodexTransportError | null = null;

  /**
   * A transport that delivers nothing until `start()` (frames fed before are queued).
   * @param inbound$ The inbound traffic (see `InMemoryTransportOptions.inbound$`), or the options.
   * @param options The options, when the first argument is the inbound traffic.
   */
  constructor(inbound$?: Observable<unknown> | InMemoryTransportOptions, options: InMemoryTransportOptions = {}) {
    this.options = isObservable(inbound$) ? { ...options, inbound$ } : { ...(inbound$ ?? {}), ...options };
    this.messages$ = this.messages.observable;
    this.diagnostics$ = this.diagnostics.asObservable();
    this.sent$ = this.sentSubject.asObservable();
    this.rawSubscription = this.raw
      .pipe(ndjson({ maxFrameBytes: this.options.maxFrameBytes }))
      .subscribe((value) => this.messages.next(value));
  }

  /** `start()` was called and succeeded. Stays true after the end. */
  get started(): boolean {
    return this.startCount > 0;
  }

  /** The transport ended: `close()`, `fail()` or `exit()`. */
  get closed(): boolean {
    return this.state === 'ended';
  }

  /** Why it ended, when it ended by `fail()` or `exit()`. */
  get failure(): CodexTransportError | null {
    return this.endReason;
  }

  start(): Promise<void> {
    if (this.state === 'ended') {
      return Promise.reject(new CodexTransportError('in-memory transport is closed', { code: 'closed' }));
    }
    if (this.state === 'open') return Promise.resolve();
    if (this.options.startError) {
      const err = asTransportError(this.options.startError);
      return Promise.reject(err);
    }
    this.state = 'open';
    this.startCount++;
    for (const deliver of this.queue.splice(0)) {
      if (this.state !== 'open') break;
      deliver();
    }
    const inbound$ = this.options.inbound$;
    if (inbound$ && this.state === 'open') {
      this.inboundSubscription = inbound$.subscribe({
        next: (value) => this.deliver(value),
        error: (err) => this.fail(err instanceof Error ? err : new Error(String(err))),
      });
    }
    return Promise.resolve();
  }

  send(message: string): void {
    if (this.state === 'new') throw new CodexTransportError('in-memory transport is not started', { code: 'not-started' });
    if (this.state === 'ended') {
      throw new CodexTransportError(`in-memory transport is closed${this.endReason ? `: ${this.endReason.message}` : ''}`, {
        code: this.endReason?.code ?? 'closed',
      });
    }
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(message) as Record<string, unknown>;
    } catch (err) {
      throw new TypeError(`InMemoryTransport.send: not a JSON text (${(err as Error).message}): ${message.slice(0, 200)}`);
    }
    this.sentLines.push(message);
    this.sent.push(frame);
    this.sentSubject.next(frame);
    const responder = this.options.autoRespond;
    if (!responder) return;
    const answer = responder(frame);
    if (answer === undefined) return;
    const values = Array.isArray(answer) ? answer : [answer];
    const deliverAll = () => {
      for (const v of values) this.deliver(v);
    };
    if (this.options.autoRespondMode === 'sync') deliverAll();
    else queueMicrotask(deliverAll);
  }

  /** Feeds one inbound frame (any JSON value; serialised and parsed like on the wire). */
  receive(frame: object): void {
    this.enqueue(() => this.messages.next(roundTrip(frame)));
  }

  /** Feeds one raw line of text (a newline is appended); a line that is not JSON becomes `InvalidLine`. */
  receiveLine(rawText: string): void {
    this.enqueue(() => this.raw.next(rawText + '\n'));
  }

  /** Feeds raw text or bytes as they would arrive on a pipe: no newline is added. */
  receiveChunk(chunk: string | Uint8Array): void {
    this.enqueue(() => this.raw.next(chunk));
  }

  /** Emits a stderr line on `diagnostics$`, like a server writing to its stderr. */
  stderr(line: string): void {
    if (this.state === 'ended') return;
    this.diagnostics.next({ kind: 'stderr', message: line });
  }

  /** Kills the transport: `messages$` errors with `CodexTransportError` (wrapping `err`). */
  fail(err?: Error): void {
    this.end(err ? asTransportError(err) : new CodexTransportError('in-memory transport failed', { code: 'disconnected' }));
  }

  /** Like a crashed server process: `messages$` errors with a `CodexTransportError` naming the exit code. */
  exit(code: number, signal: string | null = null): void {
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    this.end(new CodexTransportError(`in-memory server exited with ${how}`, { code: 'exited', exitCode: code, signal }));
  }

  /** Frames sent with the given method (requests and notifications). */
  sentWithMethod(method: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.method === method);
  }

  /** The last frame sent, if any. */
  get lastSent(): Record<string, unknown> | undefined {
    return this.sent[this.sent.length - 1];
  }

  async close(): Promise<void> {
    this.end(null);
  }

  private deliver(value: unknown): void {
    if (this.state !== 'open') return;
    if (typeof value === 'string') this.raw.next(value + '\n');
    else if (value instanceof Uint8Array) this.raw.next(value);
    else if (value instanceof InvalidLine || value instanceof OversizedFrame) this.messages.next(value);
    else this.messages.next(roundTrip(value));
  }

  private enqueue(deliver: () => void): void {
    if (this.state === 'ended') return;
    if (this.state === 'new') this.queue.push(deliver);
    else deliver();
  }

  private end(reason: CodexTransportError | null): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.queue.length = 0;
    this.inboundSubscription?.unsubscribe();
    this.inboundSubscription = null;
    this.rawSubscription.unsubscribe();
    if (reason) this.messages.error(reason);
    else this.messages.complete();
    this.diagnostics.complete();
    this.sentSubject.complete();
  }
}

function roundTrip(value: unknown): unknown {
  if (value === undefined) return value;
  const text = JSON.stringify(value);
  return text === undefined ? value : JSON.parse(text);
}

function asTransportError(err: Error): CodexTransportError {
  return err instanceof CodexTransportError ? err : new CodexTransportError(err.message, { cause: err });
}
