/**
 * Short, bounded text of any value for diagnostics and error messages. Never throws and never
 * walks more than it prints: a frame nested 100,000 deep, a cycle, a BigInt or a getter that throws
 * all give a short text (where `JSON.stringify` would throw or run for long).
 */
export function describeValue(value: unknown, maxChars = 80): string {
  const out: string[] = [];
  let used = 0;
  const emit = (s: string): boolean => {
    if (used >= maxChars) return false;
    out.push(s);
    used += s.length;
    return used < maxChars;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === undefined) return emit('undefined');
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return emit(String(v));
    if (typeof v === 'bigint') return emit(`${v}n`);
    if (typeof v === 'string') return emit(JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v));
    if (typeof v !== 'object') return emit(`[${typeof v}]`);
    if (depth >= MAX_DEPTH) return emit(Array.isArray(v) ? '[…]' : '{…}');
    if (Array.isArray(v)) {
      if (!emit('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if ((i > 0 && !emit(',')) || !walk(v[i], depth + 1)) return false;
      }
      return emit(']');
    }
    if (!emit('{')) return false;
    let first = true;
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
      if ((!first && !emit(',')) || !emit(`${JSON.stringify(key)}:`) || !walk((v as Record<string, unknown>)[key], depth + 1)) return false;
      first = false;
    }
    return emit('}');
  };
  try {
    walk(value, 0);
  } catch {
    emit('[unprintable]');
  }
  const text = out.join('');
  return text.length > maxChars ? text.slice(0, maxChars - 3) + '...' : text;
}

/** How deep `describeValue` looks before it writes `…`. */
const MAX_DEPTH = 12;

/** Past this many values walked, `approximateBytes` stops: a value that big (or cyclic) is over any budget anyway. */
const MAX_WALKED = 10_000_000;

/** The walk's stack, kept between calls (asked of every frame held while a turn starts); null while in use. */
let spareStack: unknown[] | null = [];

/**
 * About how many bytes `value` holds in memory: 2 per string character, 8 per number or boolean,
 * a little per object, array and key. Never throws, and walks any depth (with a stack of its own,
 * not recursion: a frame nested 10,000 deep must count in full, or a hostile server could hide
 * megabytes from the byte budget below the depth a recursive walk stops at). Linear in the
 * value's size: for budgets, not for exact accounting.
 */
export function approximateBytes(value: unknown): number {
  let total = 0;
  // A getter that measures something itself finds the spare in use and makes its own.
  const pending = spareStack ?? [];
  spareStack = null;
  pending.push(value);
  let walked = 0;
  try {
    while (pending.length > 0) {
      const v = pending.pop();
      if (++walked > MAX_WALKED) return Math.max(total, Number.MAX_SAFE_INTEGER / 2);
      if (typeof v === 'string') total += 2 * v.length + 16;
      else if (typeof v !== 'object' || v === null) total += 8;
      else if (Array.isArray(v)) {
        total += 32;
        for (let i = 0; i < v.length; i++) pending.push(v[i]);
      } else {
        total += 32;
        for (const key in v) {
          if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
          total += 2 * key.length + 16;
          try {
            pending.push((v as Record<string, unknown>)[key]);
          } catch {
            /* a getter that throws: its value counts as nothing */
          }
        }
      }
    }
  } catch {
    /* a proxy that throws where no getter may: count what was seen */
  } finally {
    pending.length = 0;
    spareStack = pending;
  }
  return total;
}
