import type { ThreadItem } from '../protocol/generated/v2/ThreadItem';
import type { Turn } from '../protocol/generated/v2/Turn';
import { markComplete, newTurnView } from './reduce-thread-view';
import type { ThreadView, TurnView } from './thread-view';

/** What the server stored for a thread: its turns (oldest first) and, when read, its status. */
export interface StoredThread {
  /** The stored turns with their full items, oldest first. */
  readonly turns: readonly Turn[];
  /** The thread's status as read (`thread/read`), when it was read. */
  readonly status?: ThreadView['status'];
}

/**
 * The view brought in line with what the server stored (at the start, and after a reconnect, when
 * frames may have been missed): stored turns are the truth for their status, error and the items
 * they hold; live turns and items the store does not have yet stay. Whatever the store confirms
 * unchanged keeps its object.
 */
export function reconcileThreadView(view: ThreadView, stored: StoredThread): ThreadView {
  const byId = new Map(view.turns.map((t) => [t.id, t]));
  const turns: TurnView[] = [];
  for (const s of stored.turns) {
    const old = byId.get(s.id);
    byId.delete(s.id);
    turns.push(reconcileTurn(old ?? newTurnView(s.id), s));
  }
  // Turns the store does not hold yet (just started) stay, after the stored ones.
  for (const t of view.turns) if (byId.has(t.id)) turns.push(t);
  const status = stored.status === undefined ? view.status : stored.status;
  // Approvals of turns that ended meanwhile were dropped by the server.
  const ended = new Set(turns.filter((t) => t.status !== 'inProgress').map((t) => t.id));
  const pendingApprovals = view.pendingApprovals.filter((a) => !ended.has(a.turnId));
  const same =
    turns.length === view.turns.length &&
    turns.every((t, i) => t === view.turns[i]) &&
    sameJson(status, view.status) &&
    pendingApprovals.length === view.pendingApprovals.length;
  if (same) return view;
  return {
    ...view,
    status,
    turns,
    pendingApprovals: pendingApprovals.length === view.pendingApprovals.length ? view.pendingApprovals : pendingApprovals,
  };
}

function reconcileTurn(old: TurnView, stored: Turn): TurnView {
  const items = reconcileItems(old.items, Array.isArray(stored.items) ? stored.items : [], stored.status === 'inProgress');
  const error = stored.error ?? (stored.status === 'inProgress' ? old.error : null);
  if (items === old.items && stored.status === old.status && sameJson(error, old.error)) return old;
  return { ...old, status: stored.status, error: sameJson(error, old.error) ? old.error : error, items };
}

function reconcileItems(old: readonly ThreadItem[], stored: readonly ThreadItem[], live: boolean): readonly ThreadItem[] {
  const oldById = new Map(old.map((i) => [i.id, i]));
  const storedIds = new Set(stored.map((i) => i.id));
  const items = stored.map((s) => {
    const o = oldById.get(s.id);
    return o !== undefined && sameJson(o, s) ? o : markComplete(s);
  });
  // A running turn's items still streaming are not stored yet; an ended turn's store is whole.
  if (live) for (const o of old) if (!storedIds.has(o.id)) items.push(o);
  return items.length === old.length && items.every((x, i) => x === old[i]) ? old : items;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
