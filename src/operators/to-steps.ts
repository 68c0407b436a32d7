import type { OperatorFunction } from 'rxjs';
import type { ConversationStep } from '../models';
import { isItemCompletedParams } from '../protocol/codecs';
import { itemToStep } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';
import { operate, operatorObserver } from './util/operate';

/** Configuration of `toSteps()`. */
export interface ToStepsConfig {
  /**
   * Item ids already turned into steps. Pass the same set to a later `toSteps()` over the same turn
   * (e.g. after resuming) so that dedup spans both. Default: a new set per subscription.
   */
  seenItemIds?: Set<string>;
}

/**
 * `item/completed` notifications → `ConversationStep`s, one per item id: a repeated
 * `item/completed` for an id already seen yields nothing. Everything else is dropped.
 */
export function toSteps(config: ToStepsConfig = {}): OperatorFunction<JsonRpcMessage, ConversationStep> {
  return operate((source, subscriber) => {
    const seen = config.seenItemIds ?? new Set<string>();
    return source.subscribe(
      operatorObserver<JsonRpcMessage>(subscriber, (frame) => {
        const step = stepOf(frame, seen);
        if (step) subscriber.next(step);
      }),
    );
  });
}

/** The step of one frame, or null (not an item/completed, malformed, or a repeat). */
export function stepOf(frame: JsonRpcMessage, seen: Set<string>): ConversationStep | null {
  if ((frame as { method?: string }).method !== 'item/completed') return null;
  const params = (frame as { params?: unknown }).params;
  if (!isItemCompletedParams(params)) return null;
  const id = params.item.id;
  if (id !== undefined) {
    if (seen.has(id)) return null;
    seen.add(id);
  }
  return itemToStep(params.threadId, params.turnId, params.item as Record<string, unknown>);
}
