/** One inbound JSON text (an NDJSON line or a WebSocket message) → a value, or why not; and back. */

/** An inbound line that is not JSON. Emitted in place of a value, never as an error. */
export class InvalidLine {
  /** Made by the transports' line parsing, for the connection to report as an `invalid-json` diagnostic. */
  constructor(
    /** The line, truncated to 1,000 characters. */
    readonly line: string,
    /** The line's full length in characters. */
    readonly length: number,
    /** Why JSON.parse refused it. */
    readonly reason: string,
  ) {}
}

/** An inbound line or message longer than `maxFrameBytes`: discarded, never held whole. */
export class OversizedFrame {
  constructor(
    /** Its first 1,000 characters. */
    readonly head: string,
    /** Its full size in bytes (characters for string input). */
    readonly bytes: number,
    /** The limit it exceeded. */
    readonly maxFrameBytes: number,
  ) {}
}

/**
 * Parses one JSON text. A top-level integer `id` beyond 2^53 (which `JSON.parse` would round to
 * another id) is kept exact as a `bigint`, so that the answer to that request carries its id.
 */
export function parseFrameText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return new InvalidLine(text.slice(0, 1000), text.length, (err as Error).message);
  }
  const id = (value as { id?: unknown } | null)?.id;
  if (typeof id === 'number' && !Number.isSafeInteger(id) && Number.isInteger(id)) {
    const exact = exactIntegerId(text);
    if (exact !== null && Number(exact) === id) (value as { id: unknown }).id = exact;
  }
  return value;
}

/** The JSON text of a frame; an id beyond 2^53 (a bigint, see `parseFrameText`) is written exactly. */
export function frameText(frame: object): string {
  const id = (frame as { id?: unknown }).id;
  if (typeof id !== 'bigint') return JSON.stringify(frame);
  const { id: _id, ...rest } = frame as { id: bigint };
  const body = JSON.stringify(rest);
  return body === '{}' ? `{"id":${id}}` : `{"id":${id},${body.slice(1)}`;
}

/** The integer literal of the top-level `"id"` key of a JSON object text, as a bigint. */
function exactIntegerId(text: string): bigint | null {
  // Walk the top level only: keys inside nested objects or strings must not match.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
    else if (c === 34) {
      if (depth === 1 && text.startsWith('"id"', i)) {
        const m = /^"id"\s*:\s*(-?\d+)\s*[,}]/.exec(text.slice(i, i + 64));
        if (m) return BigInt(m[1]!);
      }
      inString = true;
    }
  }
  return null;
}
