import type { SchedulerLike, Subscription } from 'rxjs';
import { CodexTransportError } from '../errors';
import type { OutboundHandle } from './transport';

/** A frame handed to the link at once: it can no longer be taken back. */
export const SENT: OutboundHandle = { cancel: () => false };

/** What the queue writes to: a link that says when it can take more. */
export interface OutboundSink {
  /** Hands the text to the link; false when the link is full (wait for `drained()`). */
  write(text: string): boolean;
  /** True while the link holds as much as it should (written text not yet gone out). */
  readonly full: boolean;
}

/** Limits of an `OutboundQueue`. */
export interface OutboundLimits {
  /** A full link that takes nothing for this long means a peer that stopped reading. */
  readonly stallTimeoutMs: number | null;
  /** Most bytes held waiting for the link; past it the peer is given up at once. */
  readonly maxQueuedBytes: number;
}

interface Entry {
  text: string;
  state: 'queued' | 'sent' | 'cancelled';
}

/**
 * Frames waiting for a full link (a pipe or socket whose peer reads slower than we write). Held
 * here, not in the link's own buffer, a frame can still be taken back (a request that timed out or
 * was aborted never reaches the server late); and a link that stays full for `stallTimeoutMs`, or
 * a queue past `maxQueuedBytes`, fails the link (`unresponsive`) instead of growing without bound.
 */
export class OutboundQueue {
  private readonly queue: Entry[] = [];
  private queuedBytes = 0;
  /** Cancelled entries still in `queue`. */
  private cancelled = 0;
  private stall: Subscription | null = null;

  constructor(
    private readonly sink: OutboundSink,
    private readonly limits: OutboundLimits,
    private readonly scheduler: SchedulerLike,
    /** The peer is given up on: called once with the reason. */
    private readonly onUnresponsive: (err: CodexTransportError) => void,
  ) {}

  /** Bytes waiting (for diagnostics and specs). */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  push(text: string): OutboundHandle {
    if (this.queue.length === 0 && !this.sink.full) {
      if (!this.sink.write(text)) this.armStall();
      return SENT;
    }
    const entry: Entry = { text, state: 'queued' };
    this.queue.push(entry);
    this.queuedBytes += text.length;
    this.armStall();
    if (this.queuedBytes > this.limits.maxQueuedBytes) {
      this.fail(`more than ${this.limits.maxQueuedBytes} bytes wait for a peer that does not read them`);
    }
    return {
      cancel: () => {
        if (entry.state !== 'queued') return false;
        entry.state = 'cancelled';
        this.queuedBytes -= entry.text.length;
        // Its text is freed now, not when the peer reads again (it may never): re-sent requests
        // that time out against a stalled peer must not pile up past `maxQueuedBytes`.
        entry.text = '';
        if (++this.cancelled > 64 && this.cancelled > this.queue.length / 2) this.compact();
        return true;
      },
    };
  }

  /** Characters of text the queue holds (queued and not yet freed): never more than `maxQueuedBytes` but for one frame. */
  get heldChars(): number {
    let n = 0;
    for (const entry of this.queue) n += entry.text.length;
    return n;
  }

  /** Drops cancelled entries, so that the queue's length follows what it holds. */
  private compact(): void {
    let w = 0;
    for (const entry of this.queue) if (entry.state === 'queued') this.queue[w++] = entry;
    this.queue.length = w;
    this.cancelled = 0;
  }

  /** The link took what it held: hand it what waits, as far as it takes it. */
  drained(): void {
    this.stall?.unsubscribe();
    this.stall = null;
    while (this.queue.length && !this.sink.full) {
      const entry = this.queue.shift()!;
      if (entry.state !== 'queued') {
        this.cancelled--;
        continue;
      }
      entry.state = 'sent';
      this.queuedBytes -= entry.text.length;
      this.sink.write(entry.text);
    }
    if (this.sink.full) this.armStall();
  }

  /** Drops everything (the link is gone). */
  clear(): void {
    this.stall?.unsubscribe();
    this.stall = null;
    for (const entry of this.queue) entry.state = 'cancelled';
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.cancelled = 0;
  }

  private armStall(): void {
    const ms = this.limits.stallTimeoutMs;
    if (this.stall || ms === null) return;
    this.stall = this.scheduler.schedule(() => {
      this.stall = null;
      this.fail(`the peer has not read what was sent for ${ms} ms`);
    }, ms);
  }

  private fail(why: string): void {
    this.clear();
    this.onUnresponsive(new CodexTransportError(`unresponsive server: ${why}`, { code: 'unresponsive' }));
  }
}
