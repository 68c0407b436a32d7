import type { OperatorFunction } from 'rxjs';
import type { ChatResult, TurnEvent } from '../models';
import { isApprovalMethod, parseApprovalRequest } from '../protocol/approvals';
import {
  ErrorNotificationParamsCodec,
  isItemDeltaParams,
  TokenUsageUpdatedParamsCodec,
  TurnDiffUpdatedParamsCodec,
  TurnPlanUpdatedParamsCodec,
} from '../protocol/codecs';
import type { ErrorNotification } from '../protocol/generated/v2/ErrorNotification';
import type { ThreadTokenUsage } from '../protocol/generated/v2/ThreadTokenUsage';
import type { TurnPlanUpdatedNotification } from '../protocol/generated/v2/TurnPlanUpdatedNotification';
import { deltaItemType } from '../protocol/items';
import type { JsonRpcMessage, JsonRpcRequest } from '../protocol/messages';
import { ResultCollector } from '../protocol/turn-result';
import { stepOf } from './to-steps';
import { operate, operatorObserver } from './util/operate';

/** Configuration of `toTurnEvents()`. */
export interface ToTurnEventsConfig {
  /** Item ids already turned into steps (shared with `toSteps`, or a resumed turn). Default: a new set per subscription. */
  seenItemIds?: Set<string>;
  /**
   * The result carried by the `completed` event, given the `turn/completed` frame. Default: built
   * from the frames this subscription saw (the last completed agent message is the final text).
   */
  result?: (turnCompleted: JsonRpcMessage) => ChatResult;
}

/**
 * One turn's frames → `TurnEvent`s for live UIs: text deltas → `delta`, `item/completed` → `step`
 * (one per item id), approval requests → `approval`, `thread/tokenUsage/updated` → `usage`,
 * `turn/plan/updated` → `plan`, `turn/diff/updated` → `diff`, `error` → `retry` (with `willRetry`)
 * or `error`, `turn/completed` → `completed`. Other frames, and malformed ones, are dropped. It does not emit `started` (the client emits that when a turn starts, before any
 * frame), and apply it after `takeUntilTurnEnd()`, which turns a failed turn into an error.
 */
export function toTurnEvents(config: ToTurnEventsConfig = {}): OperatorFunction<JsonRpcMessage, TurnEvent> {
  return operate((source, subscriber) => {
    const seen = config.seenItemIds ?? new Set<string>();
    const seenHere = config.result ? null : new ResultCollector(true);
    const result = config.result ?? ((f: JsonRpcMessage) => seenHere!.resultOf(f));
    return source.subscribe(
      operatorObserver<JsonRpcMessage>(subscriber, (frame) => {
        seenHere?.push(frame);
        const event = eventOf(frame, seen, result);
        if (event) subscriber.next(event);
      }),
    );
  });
}

function eventOf(frame: JsonRpcMessage, seen: Set<string>, result: (frame: JsonRpcMessage) => ChatResult): TurnEvent | null {
  const method = (frame as { method?: string }).method;
  if (method === undefined) return null;
  const itemType = deltaItemType(method);
  if (itemType !== null) {
    const p = (frame as { params?: unknown }).params;
    // A literal, not a spread: V8's spread into a literal with more keys costs microseconds per delta.
    return isItemDeltaParams(p)
      ? { threadId: p.threadId, turnId: p.turnId, type: 'delta', itemId: p.itemId, itemType, delta: p.delta }
      : null;
  }
  if (method === 'item/completed') {
    const step = stepOf(frame, seen);
    return step ? { threadId: step.threadId, turnId: step.turnId, type: 'step', step } : null;
  }
  if (method === 'turn/completed') {
    const r = result(frame);
    return { threadId: r.threadId, turnId: r.turnId, type: 'completed', result: r };
  }
  const update = updateOf(method, (frame as { params?: unknown }).params);
  if (update) return update;
  if (isApprovalMethod(method) && (frame as JsonRpcRequest).id !== undefined) {
    const parsed = parseApprovalRequest(frame as JsonRpcRequest);
    return parsed.ok
      ? { threadId: parsed.request.threadId, turnId: parsed.request.turnId, type: 'approval', request: parsed.request }
      : null;
  }
  return null;
}

/** The `usage`, `plan`, `diff`, `retry` or `error` event of a notification, or null. */
function updateOf(method: string, p: unknown): TurnEvent | null {
  // Each codec checks the fields a UI relies on; the event carries the params typed by the pinned protocol.
  switch (method) {
    case 'thread/tokenUsage/updated':
      if (!TokenUsageUpdatedParamsCodec.is(p)) return null;
      return { threadId: p.threadId, turnId: p.turnId, type: 'usage', usage: p.tokenUsage as ThreadTokenUsage };
    case 'turn/plan/updated': {
      if (!TurnPlanUpdatedParamsCodec.is(p)) return null;
      const { explanation, plan } = p as unknown as TurnPlanUpdatedNotification;
      return { threadId: p.threadId, turnId: p.turnId, type: 'plan', explanation: explanation ?? null, plan };
    }
    case 'turn/diff/updated':
      return TurnDiffUpdatedParamsCodec.is(p) ? { threadId: p.threadId, turnId: p.turnId, type: 'diff', diff: p.diff } : null;
    case 'thread/environment/connected':
    case 'thread/environment/disconnected': {
      // Experimental; the engine gives the frame the turn's id (the server's names only the thread).
      const e = p as { threadId?: unknown; turnId?: unknown; environmentId?: unknown } | null;
      if (typeof e?.threadId !== 'string' || typeof e.turnId !== 'string' || typeof e.environmentId !== 'string') return null;
      return {
        threadId: e.threadId,
        turnId: e.turnId,
        type: 'environment',
        environmentId: e.environmentId,
        connected: method === 'thread/environment/connected',
      };
    }
    case 'error': {
      if (!ErrorNotificationParamsCodec.is(p) || p.threadId === undefined || p.turnId === undefined) return null;
      const { error } = p as unknown as ErrorNotification;
      return { threadId: p.threadId, turnId: p.turnId, type: p.willRetry === true ? 'retry' : 'error', error };
    }
    default:
      return null;
  }
}
