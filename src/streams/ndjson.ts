import { Observable, OperatorFunction } from 'rxjs';

const NEWLINE = 0x0a;

/** An inbound line that is not JSON. Emitted by `ndjson()` in place of a value, never as an error. */
export class InvalidLine {
  constructor(
    /** The line, truncated to 1,000 characters. */
    readonly line: string,
    /** The line's full length in characters. */
    readonly length: number,
    /** Why JSON.parse refused it. */
    readonly reason: string,
  ) {}
}

/** Configuration of `ndjson()`. */
export interface NdjsonConfig {
  /** Emit a last line that has no trailing newline when the source completes. Default true. */
  flushOnComplete?: boolean;
}

/**
 * Frames a byte (or string) stream as newline-delimited JSON: each complete line is parsed and
 * emitted; a line that is not JSON becomes an `InvalidLine`. Handles lines split across chunks,
 * several lines per chunk, UTF-8 sequences split across chunks (lines are decoded whole, and 0x0A
 * never occurs inside a multi-byte sequence), `\r\n`, blank lines (skipped) and lines of any length
 * (chunks of a long line are collected and joined once).
 */
export function ndjson(config: NdjsonConfig = {}): OperatorFunction<Uint8Array | string, unknown> {
  const flush = config.flushOnComplete !== false;
  return (source) =>
    new Observable<unknown>((subscriber) => {
      const decoder = new NdjsonDecoder((value) => subscriber.next(value));
      return source.subscribe({
        next: (chunk) => decoder.push(chunk),
        error: (err) => subscriber.error(err),
        complete: () => {
          decoder.end(flush);
          subscriber.complete();
        },
      });
    });
}

/**
 * The framing state machine behind `ndjson()`, for transports that read a Node stream directly
 * (no Observable hop per chunk). Emits parsed values and `InvalidLine`s through `emit`.
 */
export class NdjsonDecoder {
  private parts: Buffer[] = [];
  private partial = '';

  constructor(private readonly emit: (value: unknown) => void) {}

  push(chunk: Uint8Array | string): void {
    if (typeof chunk === 'string') this.onString(chunk);
    else this.onBytes(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /** The input ended: with `flush`, a last line without newline is emitted too. */
  end(flush = true): void {
    if (flush) {
      if (this.parts.length) this.line(Buffer.concat(this.parts).toString('utf8'));
      if (this.partial) this.line(this.partial);
    }
    this.parts = [];
    this.partial = '';
  }

  private line(line: string): void {
    const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
    const text = end === line.length ? line : line.slice(0, end);
    if (text.length === 0 || isBlank(text)) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.emit(new InvalidLine(text.slice(0, 1000), text.length, (err as Error).message));
      return;
    }
    this.emit(value);
  }

  private onBytes(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last === -1) {
      // Copy: the producer may reuse the chunk's memory.
      this.parts.push(Buffer.from(chunk));
      return;
    }
    // Decode every complete line of the chunk at once (0x0A never occurs inside a multi-byte
    // sequence, so the cut is safe), then split the string: one native decode per chunk rather
    // than one per line, and the lines are cheap slices of it.
    let text: string;
    if (this.parts.length === 0) text = chunk.toString('utf8', 0, last);
    else {
      this.parts.push(chunk.subarray(0, last));
      text = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
    }
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.line(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.line(start === 0 ? text : text.slice(start));
    if (last + 1 < chunk.length) this.parts.push(Buffer.from(chunk.subarray(last + 1)));
  }

  private onString(chunk: string): void {
    let start = 0;
    let nl = chunk.indexOf('\n', start);
    while (nl !== -1) {
      const piece = chunk.slice(start, nl);
      if (this.partial) {
        this.line(this.partial + piece);
        this.partial = '';
      } else this.line(piece);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.partial += chunk.slice(start);
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
