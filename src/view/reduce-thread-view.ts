import type { ApprovalRequest } from '../models';
import { isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import type { ThreadItem } from '../protocol/generated/v2/ThreadItem';
import type { Turn } from '../protocol/generated/v2/Turn';
import type { JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
import type { ThreadView, TurnView } from './thread-view';

/** Item objects known complete (from `item/completed` or storage): deltas and a late `item/started` leave them alone. */
const completeItems = new WeakSet<object>();

/** Marks an item complete (see `completeItems`): for items read from storage. */
export function markComplete<T extends object>(item: T): T {
  completeItems.add(item);
  return item;
}

type Params = Record<string, unknown> & { turnId?: string; itemId?: string; delta?: string };

/**
 * The thread view after one frame: a pure function (the same view and frame give an equal view),
 * returning `view` itself when the frame does not concern the thread or changes nothing. Only what
 * changed is new; every other turn and item keeps its object.
 */
export function reduceThreadView(view: ThreadView, frame: JsonRpcMessage): ThreadView {
  if (!('method' in frame)) return view;
  const params = (frame.params ?? {}) as Params;
  if (params.threadId !== view.threadId) return view;
  if ((frame as JsonRpcRequest).id !== undefined) return serverRequest(view, frame as JsonRpcRequest);
  switch (frame.method) {
    case 'thread/status/changed':
      return { ...view, status: params.status as ThreadView['status'] };
    case 'turn/started':
      return withTurn(view, (params.turn as Turn).id, (t) => (t.status === 'inProgress' ? t : { ...t, status: 'inProgress' }));
    case 'turn/completed': {
      const turn = params.turn as Turn;
      const ended = withTurn(view, turn.id, (t) => ({
        ...t,
        status: turn.status,
        error: turn.error ?? t.error,
        // The notification may carry the items; the streamed ones stand when it does not.
        items: t.items.length === 0 && Array.isArray(turn.items) ? turn.items.map(markComplete) : t.items,
      }));
      return dropApprovals(ended, (a) => a.turnId === turn.id);
    }
    case 'item/started':
      return withItem(view, params.turnId!, params.item as ThreadItem, (old, item) => old ?? item);
    case 'item/completed':
      return withItem(view, params.turnId!, markComplete(params.item as ThreadItem), (_old, item) => item);
    case 'item/agentMessage/delta':
      return withDelta(view, params, 'agentMessage', (item, d) => ({ ...item, text: (item.text ?? '') + d }));
    case 'item/plan/delta':
      return withDelta(view, params, 'plan', (item, d) => ({ ...item, text: (item.text ?? '') + d }));
    case 'item/reasoning/summaryTextDelta':
      return withDelta(view, params, 'reasoning', (item, d) => ({ ...item, summary: append(item.summary, params.summaryIndex, d) }));
    case 'item/reasoning/textDelta':
      return withDelta(view, params, 'reasoning', (item, d) => ({ ...item, content: append(item.content, params.contentIndex, d) }));
    case 'item/commandExecution/outputDelta':
      return withDelta(view, params, 'commandExecution', (item, d) => ({ ...item, aggregatedOutput: (item.aggregatedOutput ?? '') + d }));
    case 'thread/tokenUsage/updated': {
      const usage = params.tokenUsage as ThreadView['usage'];
      return { ...withTurn(view, params.turnId!, (t) => ({ ...t, usage })), usage };
    }
    case 'turn/plan/updated':
      return withTurn(view, params.turnId!, (t) => ({
        ...t,
        plan: { explanation: (params.explanation as string | null) ?? null, plan: (params.plan as never[]) ?? [] },
      }));
    case 'turn/diff/updated':
      return withTurn(view, params.turnId!, (t) => ({ ...t, diff: params.diff as string }));
    case 'error':
      // A retried error is news, not the turn's fate.
      if (params.willRetry === true || typeof params.turnId !== 'string') return view;
      return withTurn(view, params.turnId, (t) => ({ ...t, error: params.error as TurnView['error'] }));
    case 'serverRequest/resolved':
      return dropApprovals(view, (a) => sameId(a.requestId, params.requestId));
    default:
      return view;
  }
}

/** A turn of nothing yet: what a frame of an unseen turn starts from. */
export function newTurnView(id: string): TurnView {
  return { id, status: 'inProgress', error: null, items: [], usage: null, plan: null, diff: null };
}

function serverRequest(view: ThreadView, request: JsonRpcRequest): ThreadView {
  if (!isApprovalMethod(request.method)) return view;
  const parsed = parseApprovalRequest(request);
  if (!parsed.ok || view.pendingApprovals.some((a) => sameId(a.requestId, request.id))) return view;
  return { ...view, pendingApprovals: [...view.pendingApprovals, parsed.request] };
}

function dropApprovals(view: ThreadView, drop: (a: ApprovalRequest) => boolean): ThreadView {
  if (!view.pendingApprovals.some(drop)) return view;
  return { ...view, pendingApprovals: view.pendingApprovals.filter((a) => !drop(a)) };
}

function withTurn(view: ThreadView, turnId: string, change: (t: TurnView) => TurnView): ThreadView {
  if (typeof turnId !== 'string') return view;
  const i = view.turns.findIndex((t) => t.id === turnId);
  const old = i < 0 ? newTurnView(turnId) : view.turns[i]!;
  const next = change(old);
  if (next === old && i >= 0) return view;
  const turns = view.turns.slice();
  if (i < 0) turns.push(next);
  else turns[i] = next;
  return { ...view, turns };
}

function withItem(
  view: ThreadView,
  turnId: string,
  item: ThreadItem,
  pick: (old: ThreadItem | undefined, item: ThreadItem) => ThreadItem,
): ThreadView {
  if (!item || typeof item.id !== 'string') return view;
  return withTurn(view, turnId, (t) => {
    const i = t.items.findIndex((x) => x.id === item.id);
    const old = i < 0 ? undefined : t.items[i];
    const next = pick(old, item);
    if (next === old) return t;
    const items = t.items.slice();
    if (i < 0) items.push(next);
    else items[i] = next;
    return { ...t, items };
  });
}

type ItemOf<K extends ThreadItem['type']> = Extract<ThreadItem, { type: K }>;

function withDelta<K extends 'agentMessage' | 'plan' | 'reasoning' | 'commandExecution'>(
  view: ThreadView,
  params: Params,
  type: K,
  // A placeholder (deltas before item/started) lacks the item's other fields until it completes.
  grow: (item: Partial<ItemOf<K>> & { id: string; type: K }, delta: string) => Partial<ItemOf<K>>,
): ThreadView {
  if (typeof params.itemId !== 'string' || typeof params.delta !== 'string') return view;
  const delta = params.delta;
  return withItem(view, params.turnId!, { id: params.itemId, type } as ThreadItem, (old) => {
    // Text of a completed item is whole: a late or replayed delta must not add to it.
    if (old && (completeItems.has(old) || old.type !== type)) return old;
    return grow((old ?? { id: params.itemId!, type }) as ItemOf<K>, delta) as ThreadItem;
  });
}

function append(parts: readonly string[] | undefined, index: unknown, delta: string): string[] {
  const out = (parts ?? []).slice();
  const i = typeof index === 'number' && index >= 0 ? index : Math.max(0, out.length - 1);
  while (out.length <= i) out.push('');
  out[i] += delta;
  return out;
}

function sameId(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && String(a) === String(b));
}
