/** Turn-frame helpers shared by the operators and the engine: keys, steps and deltas. */
import type { ConversationStep, StepType } from '../models';
import type { ThreadItem } from './generated/v2/ThreadItem';
import type { JsonRpcMessage } from './messages';

const STEP_TYPES: Readonly<Record<string, StepType>> = {
  reasoning: 'thinking',
  commandExecution: 'exec',
  agentMessage: 'codex',
  mcpToolCall: 'tool',
  fileChange: 'file',
};

/** `stepType` of an item type: the canonical labels, any other type unchanged. */
export function stepTypeOf(itemType: string): StepType {
  return Object.prototype.hasOwnProperty.call(STEP_TYPES, itemType) ? STEP_TYPES[itemType]! : itemType;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/** Human-readable text of an item, per item type (see the API page). */
export function itemText(item: Record<string, unknown>): string | null {
  switch (item.type) {
    case 'reasoning': {
      const parts = [...strings(item.summary), ...strings(item.content)];
      return parts.length ? parts.join('\n') : null;
    }
    case 'commandExecution':
      return typeof item.command === 'string' ? item.command : null;
    case 'agentMessage':
      return typeof item.text === 'string' ? item.text : null;
    case 'dynamicToolCall': {
      // A client-side tool call's text is what it answered the model.
      const texts = Array.isArray(item.contentItems) ? item.contentItems.filter((c) => c?.type === 'inputText').map((c) => c.text) : [];
      return texts.length ? strings(texts).join('\n') : null;
    }
    default:
      for (const key of ['text', 'message', 'content', 'summary']) {
        if (typeof item[key] === 'string') return item[key] as string;
      }
      return null;
  }
}

/** The step of one completed item. */
export function itemToStep(threadId: string, turnId: string, item: Record<string, unknown>): ConversationStep {
  const itemType = typeof item.type === 'string' ? item.type : null;
  return {
    threadId,
    turnId,
    itemId: typeof item.id === 'string' ? item.id : null,
    stepType: itemType ? stepTypeOf(itemType) : 'unknown',
    itemType,
    status: 'completed',
    text: itemText(item),
    // Decoded by ItemCompletedParamsCodec (a `type` string); the pinned union types it, as documented.
    item: item as unknown as ThreadItem,
    data: item,
  };
}

type Params = Record<string, unknown> | undefined;
const paramsOf = (frame: JsonRpcMessage): Params => (frame as { params?: Params }).params;

/** The thread id a frame belongs to, if any. */
export function threadIdOf(frame: JsonRpcMessage): string | undefined {
  const p = paramsOf(frame);
  const id = p?.threadId;
  return typeof id === 'string' ? id : undefined;
}

/** The turn id a frame belongs to (`params.turnId`, or `params.turn.id` on turn/started|completed). */
export function turnIdOf(frame: JsonRpcMessage): string | undefined {
  const p = paramsOf(frame);
  if (!p) return undefined;
  if (typeof p.turnId === 'string') return p.turnId;
  const turn = p.turn as { id?: unknown } | undefined;
  return turn && typeof turn.id === 'string' ? turn.id : undefined;
}

/**
 * Whether `method` is a text delta (`item/<type>/delta`, `item/<type>/outputDelta`,
 * `item/reasoning/summaryTextDelta`, ...). Asked of every frame, so it allocates nothing: the
 * tests that reject most methods (the ending `elta`) come first.
 */
export function isTextDelta(method: string): boolean {
  const n = method.length;
  // 'elta' at the end
  if (n < 12 || method.charCodeAt(n - 1) !== 97 || method.charCodeAt(n - 2) !== 116 || method.charCodeAt(n - 3) !== 108) return false;
  if (method.charCodeAt(n - 4) !== 101 || !method.startsWith('item/')) return false;
  const slash = method.indexOf('/', 5);
  // an item type of one character or more, and no third slash
  if (slash <= 5 || method.indexOf('/', slash + 1) >= 0) return false;
  // '…Delta' (outputDelta, summaryTextDelta), or a last segment that is exactly 'delta'
  const d = method.charCodeAt(n - 5);
  return d === 68 || (d === 100 && n - 5 === slash + 1);
}

/** The last text-delta method `deltaItemType` saw, and its item type: deltas come in runs of one method. */
let lastDeltaMethod: string | null = null;
let lastDeltaType = '';

/** The item type whose text a delta notification streams, or null when `method` is no text delta. */
export function deltaItemType(method: string): string | null {
  // Per delta of `chatEvents`: no new substring for the run of deltas of one method.
  if (method === lastDeltaMethod) return lastDeltaType;
  if (!isTextDelta(method)) return null;
  lastDeltaMethod = method;
  lastDeltaType = method.slice(5, method.indexOf('/', 5));
  return lastDeltaType;
}

/** The server's `error` notification saying it will retry: a retry notice, not progress. */
export function isRetryNotice(frame: JsonRpcMessage): boolean {
  return (frame as { method?: string }).method === 'error' && (frame as { params?: { willRetry?: unknown } }).params?.willRetry === true;
}
