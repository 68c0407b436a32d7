/** Items (`item/started`, `item/completed`) and the item objects they carry, one builder per item type. */
import { frameNow } from './clock';
import { notification, type NotificationFrame } from './envelopes';
import type { FileUpdateChange } from '../../protocol/generated/v2/FileUpdateChange';
import type { ItemCompletedNotification } from '../../protocol/generated/v2/ItemCompletedNotification';
import type { ItemStartedNotification } from '../../protocol/generated/v2/ItemStartedNotification';
import type { PatchChangeKind } from '../../protocol/generated/v2/PatchChangeKind';
import type { ThreadItem } from '../../protocol/generated/v2/ThreadItem';

type ItemOf<T extends string> = Extract<ThreadItem, { type: T }>;
/** The pinned protocol's `agentMessage` item: the model's answer text (what `agentMessageItem` builds). */
export type AgentMessageItem = ItemOf<'agentMessage'>;
/** The pinned protocol's `reasoning` item: summary and content parts (what `reasoningItem` builds). */
export type ReasoningItem = ItemOf<'reasoning'>;
/** The pinned protocol's `commandExecution` item: a command, its status, output and exit code (what `commandExecutionItem` builds). */
export type CommandExecutionItem = ItemOf<'commandExecution'>;
/** The pinned protocol's `fileChange` item: a patch's changes and status (what `fileChangeItem` builds). */
export type FileChangeItem = ItemOf<'fileChange'>;
/** The pinned protocol's `userMessage` item: the user's input as the server stores it (what `userMessageItem` builds). */
export type UserMessageItem = ItemOf<'userMessage'>;

/** `item/started {item, threadId, turnId, startedAtMs}`. */
export function itemStarted(args: {
  threadId: string;
  turnId: string;
  item: ThreadItem;
}): NotificationFrame<ItemStartedNotification, 'item/started'> {
  return notification('item/started', {
    item: args.item,
    threadId: args.threadId,
    turnId: args.turnId,
    startedAtMs: frameNow(),
  });
}

/** `item/completed {item, threadId, turnId, completedAtMs}`. */
export function itemCompleted(args: {
  threadId: string;
  turnId: string;
  item: ThreadItem;
}): NotificationFrame<ItemCompletedNotification, 'item/completed'> {
  return notification('item/completed', {
    item: args.item,
    threadId: args.threadId,
    turnId: args.turnId,
    completedAtMs: frameNow(),
  });
}

/** An `agentMessage` item (`phase` null unless given). */
export function agentMessageItem(id: string, text: string, extra: Partial<AgentMessageItem> = {}): AgentMessageItem {
  return {
    type: 'agentMessage',
    id,
    text,
    phase: null,
    moderation: null,
    memoryCitation: null,
    delivery: null,
    questions: null,
    ...extra,
  };
}

/** A `reasoning` item with its summary parts and (raw) content parts. */
export function reasoningItem(id: string, summary: string[], content: string[] = []): ReasoningItem {
  return { type: 'reasoning', id, summary, content };
}

/** A `commandExecution` item, `completed` with exit code 0 and empty output unless `extra` says otherwise. */
export function commandExecutionItem(id: string, command: string, extra: Partial<CommandExecutionItem> = {}): CommandExecutionItem {
  return {
    type: 'commandExecution',
    id,
    command,
    cwd: '/tmp',
    pluginId: null,
    scriptPath: null,
    processId: null,
    source: 'agent',
    status: 'completed',
    commandActions: [{ type: 'unknown', command }],
    aggregatedOutput: '',
    exitCode: 0,
    durationMs: 0,
    ...extra,
  };
}

/** A change of a `fileChange` item: `kind` as a word or the wire object; `diff` defaults to ''. */
export interface FileChangeSpec {
  /** The file changed. */
  path: string;
  /** What happens to it: added, deleted, or (the default) updated; or the protocol's `PatchChangeKind` as is. */
  kind?: 'add' | 'delete' | 'update' | PatchChangeKind;
  /** The change's diff. Default empty. */
  diff?: string;
}

/** A `fileChange` item (`completed` unless `extra.status` says otherwise). */
export function fileChangeItem(
  id: string,
  changes: Array<FileChangeSpec | FileUpdateChange>,
  extra: Partial<FileChangeItem> = {},
): FileChangeItem {
  const wire = changes.map((c): FileUpdateChange => {
    const kind = c.kind ?? 'update';
    return {
      path: c.path,
      kind: typeof kind === 'string' ? (kind === 'update' ? { type: 'update', move_path: null } : { type: kind }) : kind,
      diff: c.diff ?? '',
    };
  });
  return { type: 'fileChange', id, changes: wire, status: 'completed', ...extra };
}

/** A `userMessage` item holding one text input. */
export function userMessageItem(id: string, text: string): UserMessageItem {
  return { type: 'userMessage', id, clientId: null, content: [{ type: 'text', text, text_elements: [] }] };
}

/** Any other item type (`mcpToolCall`, `webSearch`, `plan`, ...), as `{type, id, ...fields}`. */
export function genericItem(type: string, id: string, fields: Record<string, unknown> = {}): ThreadItem {
  return { type, id, ...fields } as unknown as ThreadItem;
}
