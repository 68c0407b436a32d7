import type { TurnEvent } from '../models';

/**
 * Merges two adjacent turn events into one without losing anything a UI shows, or returns null:
 * two text deltas of one item become one delta (their texts concatenated); a newer `usage`,
 * `plan` or `diff` event replaces the older one of the same type (each carries the whole state).
 * Any other pair does not merge. For `eachValue`'s `coalesce`: a `for await` body slower than
 * `chatEvents` then gets fewer, longer deltas instead of overflowing.
 */
export function coalesceTurnEvents(held: TurnEvent, next: TurnEvent): TurnEvent | null {
  if (held.type !== next.type || held.threadId !== next.threadId || held.turnId !== next.turnId) return null;
  switch (held.type) {
    case 'delta': {
      const later = next as typeof held;
      if (later.itemId !== held.itemId || later.itemType !== held.itemType) return null;
      return { ...held, delta: held.delta + later.delta };
    }
    case 'usage':
    case 'plan':
    case 'diff':
      return next;
    default:
      return null;
  }
}
