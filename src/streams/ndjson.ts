import type { OperatorFunction } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { operate, operatorObserver } from '../operators/util/operate';
import { OversizedFrame, parseFrameText } from './frame-text';

export { InvalidLine, OversizedFrame, parseFrameText } from './frame-text';

const NEWLINE = 0x0a;
/** How much of an oversized line is kept to describe it. */
const HEAD_CHARS = 1_000;
/** The held-line buffer's first size, and the largest kept between lines (a longer one is freed). */
const MIN_HELD = 4_096;
const KEEP_HELD = 1 << 20;

/** Configuration of `ndjson()`. */
export interface NdjsonConfig {
  /** Emit a last line that has no trailing newline when the source completes. Default true. */
  flushOnComplete?: boolean;
  /**
   * Longest line accepted, in bytes (UTF-16 code units for string chunks). A longer line is
   * discarded as it streams, never held whole, and emitted as an `OversizedFrame`. Default 64 MiB.
   */
  maxFrameBytes?: number;
}

/**
 * Frames a byte (or string) stream as newline-delimited JSON: each complete line is parsed and
 * emitted; a line that is not JSON becomes an `InvalidLine`, one longer than `maxFrameBytes` an
 * `OversizedFrame`. Handles lines split across chunks, several lines per chunk, UTF-8 sequences
 * split across chunks (lines are decoded whole, and 0x0A never occurs inside a multi-byte
 * sequence), `\r\n` and blank lines (skipped).
 */
export function ndjson(config: NdjsonConfig = {}): OperatorFunction<Uint8Array | string, unknown> {
  const flush = config.flushOnComplete !== false;
  return operate((source, subscriber) => {
    const decoder = new NdjsonDecoder((value) => subscriber.next(value), config.maxFrameBytes);
    return source.subscribe(
      operatorObserver<Uint8Array | string>(
        subscriber,
        (chunk) => decoder.push(chunk),
        () => {
          decoder.end(flush);
          subscriber.complete();
        },
      ),
    );
  });
}

/**
 * The framing state machine behind `ndjson()`, for transports that read a Node stream directly
 * (no Observable hop per chunk). Emits parsed values, `InvalidLine`s and `OversizedFrame`s
 * through `emit`. Memory is bounded by `maxFrameBytes` plus one chunk.
 */
export class NdjsonDecoder {
  /**
   * The line not yet ended, in one growable buffer (capacity doubling, at most about twice the
   * line): a line that arrives a byte at a time costs its size, not a `Buffer` object per chunk.
   */
  private held: Buffer | null = null;
  private partBytes = 0;
  /** The same for string chunks. */
  private partial = '';
  /** While an oversized line is discarded: its size so far and its first characters. */
  private skipped: { bytes: number; head: string } | null = null;

  constructor(
    private readonly emit: (value: unknown) => void,
    private readonly maxFrameBytes: number = DEFAULTS.maxFrameBytes,
  ) {}

  /** Bytes (characters for string input) of the unfinished line held now: never more than `maxFrameBytes`. */
  get heldBytes(): number {
    return this.partBytes + this.partial.length;
  }

  /** Bytes allocated to hold the unfinished line (at most about twice `heldBytes`). */
  get capacityBytes(): number {
    return (this.held?.length ?? 0) + this.partial.length;
  }

  push(chunk: Uint8Array | string): void {
    if (typeof chunk === 'string') this.onString(chunk);
    else this.onBytes(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /** The input ended: with `flush`, a last line without newline is emitted too. */
  end(flush = true): void {
    if (flush) {
      if (this.skipped) this.endSkip(0);
      if (this.partBytes) this.line(this.takeHeld());
      if (this.partial) this.line(this.partial);
    }
    this.skipped = null;
    this.release();
    this.partial = '';
  }

  private line(line: string): void {
    const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
    const text = end === line.length ? line : line.slice(0, end);
    if (text.length === 0 || isBlank(text)) return;
    this.emit(parseFrameText(text));
  }

  private onBytes(chunk: Buffer): void {
    let pos = 0;
    if (this.skipped) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl === -1) {
        this.skipped.bytes += chunk.length;
        return;
      }
      this.endSkip(nl);
      pos = nl + 1;
    }
    if (this.partBytes) {
      // The held line ends in this chunk, or goes on.
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl === -1) {
        this.hold(chunk, pos);
        return;
      }
      if (this.partBytes + (nl - pos) > this.maxFrameBytes) {
        this.startSkip(chunk, pos, nl);
        this.endSkip(0);
      } else {
        this.append(chunk, pos, nl);
        this.line(this.takeHeld());
      }
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= pos) {
      if (last - pos <= this.maxFrameBytes) {
        // Every complete line at once (0x0A never occurs inside a multi-byte sequence, so the cut
        // is safe): one native decode per chunk rather than one per line; lines are cheap slices.
        const text = chunk.toString('utf8', pos, last);
        let start = 0;
        let nl = text.indexOf('\n');
        while (nl !== -1) {
          this.line(text.slice(start, nl));
          start = nl + 1;
          nl = text.indexOf('\n', start);
        }
        this.line(start === 0 ? text : text.slice(start));
      } else {
        // A huge chunk: measure each line in bytes, decode only those within the limit.
        while (pos <= last) {
          const nl = chunk.indexOf(NEWLINE, pos);
          if (nl - pos > this.maxFrameBytes) {
            this.startSkip(chunk, pos, nl);
            this.endSkip(0);
          } else this.line(chunk.toString('utf8', pos, nl));
          pos = nl + 1;
        }
      }
      pos = last + 1;
    }
    if (pos < chunk.length) this.hold(chunk, pos);
  }

  /** Keeps the start of a line that goes on in the next chunk (a copy: the producer may reuse the chunk). */
  private hold(chunk: Buffer, from: number): void {
    if (this.partBytes + (chunk.length - from) > this.maxFrameBytes) {
      this.startSkip(chunk, from, chunk.length);
      return;
    }
    this.append(chunk, from, chunk.length);
  }

  /** Copies `chunk[from, to)` after the held bytes, growing the buffer by doubling. */
  private append(chunk: Buffer, from: number, to: number): void {
    const need = this.partBytes + (to - from);
    if (!this.held || this.held.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * (this.held?.length ?? 0), this.maxFrameBytes), MIN_HELD));
      if (this.held) this.held.copy(grown, 0, 0, this.partBytes);
      this.held = grown;
    }
    chunk.copy(this.held, this.partBytes, from, to);
    this.partBytes = need;
  }

  /** The held line, decoded; the buffer is kept for the next line unless a long line grew it. */
  private takeHeld(): string {
    const text = this.held!.toString('utf8', 0, this.partBytes);
    this.release();
    return text;
  }

  private release(): void {
    this.partBytes = 0;
    if (this.held && this.held.length > KEEP_HELD) this.held = null;
  }

  /** The line held so far plus `chunk[from, to)` is too long: keep its head, drop the rest. */
  private startSkip(chunk: Buffer, from: number, to: number): void {
    // The head from as few bytes as it takes (never a copy of the whole line held so far).
    const wanted = HEAD_CHARS * 4;
    const fromHeld = Math.min(this.partBytes, wanted);
    const firsts = [
      this.held ? this.held.subarray(0, fromHeld) : Buffer.alloc(0),
      chunk.subarray(from, Math.min(to, from + wanted - fromHeld)),
    ];
    const head = Buffer.concat(firsts).toString('utf8').slice(0, HEAD_CHARS);
    this.skipped = { bytes: this.partBytes + (to - from), head };
    this.release();
  }

  /** The oversized line ends after `more` further bytes. */
  private endSkip(more: number): void {
    const { bytes, head } = this.skipped!;
    this.skipped = null;
    this.emit(new OversizedFrame(head, bytes + more, this.maxFrameBytes));
  }

  private onString(chunk: string): void {
    let start = 0;
    if (this.skipped) {
      const nl = chunk.indexOf('\n');
      if (nl === -1) {
        this.skipped.bytes += chunk.length;
        return;
      }
      this.endSkip(nl);
      start = nl + 1;
    }
    let nl = chunk.indexOf('\n', start);
    while (nl !== -1) {
      const piece = chunk.slice(start, nl);
      if (this.partial.length + piece.length > this.maxFrameBytes) {
        this.emit(
          new OversizedFrame(
            (this.partial + piece.slice(0, HEAD_CHARS)).slice(0, HEAD_CHARS),
            this.partial.length + piece.length,
            this.maxFrameBytes,
          ),
        );
        this.partial = '';
      } else if (this.partial) {
        this.line(this.partial + piece);
        this.partial = '';
      } else this.line(piece);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (this.partial.length + rest > this.maxFrameBytes) {
        this.skipped = {
          bytes: this.partial.length + rest,
          head: (this.partial + chunk.slice(start, start + HEAD_CHARS)).slice(0, HEAD_CHARS),
        };
        this.partial = '';
      } else this.partial += chunk.slice(start);
    }
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
