import { asapScheduler, Observable, SchedulerLike, Subject, Subscription } from 'rxjs';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import type { JsonRpcMessage } from '../protocol/messages';
import { HotSource } from '../streams/hot-source';
import type { Transport } from '../streams/transport';
import { ReplayScript } from './replay-script';
import type { Recording } from './recording';

/** Options of a `ReplayTransport`. */
export interface ReplayOptions {
  /**
   * `asap` (default): each server frame as soon as what the client sent before it in the recording
   * has been sent again. `recorded`: also keeps the recorded gaps between frames, on `scheduler`
   * (give a `VirtualTimeScheduler` or `TestScheduler` to replay in virtual time).
   */
  timing?: 'asap' | 'recorded';
  /** Where frames are delivered (default `asapScheduler`: a microtask later, like a real peer). */
  scheduler?: SchedulerLike;
}

/**
 * A `Transport` that plays a `Recording` (see `startRecording`) to a new client, offline: each
 * request is answered with the recorded answer to the same method's request of the same rank (the
 * second `thread/read` gets the second recorded answer), ids remapped both ways; the server's
 * notifications and requests come at the points they came in the recording, that is once the client
 * has again sent what it had sent before them (its requests and its answers to server requests).
 * A request the recording does not hold is answered with an error (code `UNRECORDED_REQUEST_CODE`)
 * naming it, and reported on `diagnostics$`.
 */
export class ReplayTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  /** Every frame the client sent, parsed, in order. */
  readonly sent: JsonRpcMessage[] = [];

  private readonly messages = new HotSource<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly script: ReplayScript;
  private readonly scheduler: SchedulerLike;
  private readonly timing: 'asap' | 'recorded';
  private readonly scheduled = new Subscription();
  /** A delivery is scheduled: the next one waits for it, so frames keep their order. */
  private busy = false;
  private state: 'new' | 'open' | 'closed' = 'new';

  /** A transport that plays `recording` back to the client it is given to (see `ReplayOptions`). */
  constructor(
    /** The session played back. */
    readonly recording: Recording,
    options: ReplayOptions = {},
  ) {
    this.script = new ReplayScript(recording);
    this.scheduler = options.scheduler ?? asapScheduler;
    this.timing = options.timing ?? 'asap';
    this.messages$ = this.messages.observable;
    this.diagnostics$ = this.diagnostics.asObservable();
  }

  /** The server version the recording was made against. */
  get serverVersion(): string | null {
    return this.recording.serverVersion;
  }

  /** True once every recorded server frame has been played. */
  get finished(): boolean {
    return this.script.finished;
  }

  /** What the replay still waits for: the recorded client frames not sent again yet, and the server frames not played. */
  get remaining(): {
    /** The recorded client frames the replay waits to see sent again, in order. */
    readonly awaiting: readonly JsonRpcMessage[];
    /** How many recorded server frames are still to play. */
    readonly unplayed: number;
  } {
    return this.script.remaining();
  }

  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new CodexTransportError('replay transport is closed', { code: 'closed' }));
    if (this.state === 'new') {
      this.state = 'open';
      this.pump();
    }
    return Promise.resolve();
  }

  send(message: string): void {
    if (this.state !== 'open') {
      throw new CodexTransportError(`replay transport is ${this.state === 'new' ? 'not started' : 'closed'}`, {
        code: this.state === 'new' ? 'not-started' : 'closed',
      });
    }
    const frame = JSON.parse(message) as JsonRpcMessage;
    this.sent.push(frame);
    const miss = this.script.clientSent(frame);
    if (miss) {
      this.diagnostics.next({ kind: 'protocol', message: miss.error.message, detail: frame });
      this.deliver(() => this.emit(miss));
    }
    this.pump();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.scheduled.unsubscribe();
    this.messages.complete();
    this.diagnostics.complete();
  }

  /** Plays the next due server frame, then the ones after it, one delivery at a time. */
  private pump(): void {
    if (this.busy || this.state !== 'open') return;
    const next = this.script.nextDue();
    if (!next) return;
    this.busy = true;
    const delay = this.timing === 'recorded' ? next.gapMs : 0;
    this.deliver(() => {
      this.busy = false;
      this.emit(this.script.play(next));
      this.pump();
    }, delay);
  }

  private deliver(work: () => void, delay = 0): void {
    let ran = false;
    const action = this.scheduler.schedule(() => {
      ran = true;
      this.scheduled.remove(action);
      if (this.state === 'open') work();
    }, delay);
    // Held until it runs, so close() can cancel it; a scheduler that ran it at once needs nothing.
    if (!ran) this.scheduled.add(action);
  }

  private emit(frame: unknown): void {
    // A copy, like bytes off a wire: the client may keep or change what it is given.
    this.messages.next(JSON.parse(JSON.stringify(frame)));
  }
}
