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
      let parts: Buffer[] = [];
      let partial = '';
      const emitLine = (line: string) => {
        const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
        const text = end === line.length ? line : line.slice(0, end);
        if (text.length === 0 || isBlank(text)) return;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          subscriber.next(new InvalidLine(text.slice(0, 1000), text.length, (err as Error).message));
          return;
        }
        subscriber.next(value);
      };
      const onBytes = (chunk: Buffer) => {
        let start = 0;
        let nl = chunk.indexOf(NEWLINE, start);
        while (nl !== -1) {
          if (parts.length === 0) {
            emitLine(chunk.toString('utf8', start, nl));
          } else {
            parts.push(chunk.subarray(start, nl));
            const whole = Buffer.concat(parts);
            parts = [];
            emitLine(whole.toString('utf8'));
          }
          start = nl + 1;
          nl = chunk.indexOf(NEWLINE, start);
        }
        // Copy the tail: the producer may reuse the chunk's memory.
        if (start < chunk.length) parts.push(Buffer.from(chunk.subarray(start)));
      };
      const onString = (chunk: string) => {
        let start = 0;
        let nl = chunk.indexOf('\n', start);
        while (nl !== -1) {
          const piece = chunk.slice(start, nl);
          if (partial) {
            emitLine(partial + piece);
            partial = '';
          } else emitLine(piece);
          start = nl + 1;
          nl = chunk.indexOf('\n', start);
        }
        if (start < chunk.length) partial += chunk.slice(start);
      };
      return source.subscribe({
        next: (chunk) => {
          if (typeof chunk === 'string') onString(chunk);
          else onBytes(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          if (flush) {
            if (parts.length) emitLine(Buffer.concat(parts).toString('utf8'));
            if (partial) emitLine(partial);
          }
          parts = [];
          partial = '';
          subscriber.complete();
        },
      });
    });
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
