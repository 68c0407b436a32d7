/** The parts of a turn that make its `ChatResult`, collected frame by frame. */
import type { ChatResult, RawEvent } from '../models';
import { TokenUsageUpdatedParamsCodec } from './codecs';
import type { ThreadTokenUsage } from './generated/v2/ThreadTokenUsage';
import { isTextDelta } from './items';
import type { JsonRpcMessage } from './messages';

/** The last completed agent message of a turn: its final text. */
export interface AgentMessageRef {
  readonly itemId: string | null;
  readonly text: string;
}

/**
 * Collects what a `ChatResult` needs from one turn's frames: the last completed agent message, the
 * last token usage and, when `keepEvents`, the non-delta frames (deltas are never kept: their text is in the completed
 * items, so a long stream costs no memory).
 */
export class ResultCollector {
  readonly rawEvents: RawEvent[] = [];
  lastAgentMessage: AgentMessageRef | null = null;
  /** The params of the last `thread/tokenUsage/updated`. */
  usage: ThreadTokenUsage | null = null;

  constructor(private readonly keepEvents: boolean) {}

  push(frame: JsonRpcMessage): void {
    const method = (frame as { method?: string }).method;
    if (method === 'item/completed') {
      if (this.keepEvents) this.rawEvents.push(frame as RawEvent);
      const item = (frame as { params?: { item?: { type?: unknown; id?: unknown; text?: unknown } } }).params?.item;
      if (item?.type === 'agentMessage' && typeof item.text === 'string') {
        this.lastAgentMessage = { itemId: typeof item.id === 'string' ? item.id : null, text: item.text };
      }
    } else if (method === 'thread/tokenUsage/updated') {
      if (this.keepEvents) this.rawEvents.push(frame as RawEvent);
      const params = (frame as { params?: unknown }).params;
      // Checked for the fields a reader relies on; typed as the pinned protocol's usage.
      if (TokenUsageUpdatedParamsCodec.is(params)) this.usage = params.tokenUsage as ThreadTokenUsage;
    } else if (this.keepEvents && method !== undefined && !isTextDelta(method)) {
      // Deltas are never kept: their text is in the completed items.
      this.rawEvents.push(frame as RawEvent);
    }
  }

  /** The result so far (no read fallback): the last agent message, or an empty text. */
  result(threadId: string, turnId: string, droppedDeltas = 0): ChatResult {
    const m = this.lastAgentMessage;
    return {
      threadId,
      turnId,
      finalText: m?.text ?? '',
      rawEvents: this.rawEvents,
      assistantItemId: m?.itemId ?? null,
      completionSource: m ? 'item_completed' : null,
      usage: this.usage,
      droppedDeltas,
    };
  }

  /** The result of the turn a `turn/completed` frame ended. */
  resultOf(turnCompleted: JsonRpcMessage): ChatResult {
    const params = (turnCompleted as { params?: { threadId?: unknown; turn?: { id?: unknown } } }).params;
    return this.result(String(params?.threadId ?? ''), String(params?.turn?.id ?? ''));
  }
}
