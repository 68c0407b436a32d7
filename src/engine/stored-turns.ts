/**
 * Reading the turns a server stored for a thread, for the read fallback of a result and for idle
 * recovery. Current servers page them with `thread/turns/list` (`thread/read` with `includeTurns`
 * draws a `deprecationNotice` there); a server without that method (it answers -32600 "unknown
 * variant", or -32601) is read with `thread/read` and `includeTurns`.
 */
import { CodexProtocolError } from '../errors';
import type { ThreadItem } from '../protocol/generated/v2/ThreadItem';
import type { TurnItemsView } from '../protocol/generated/v2/TurnItemsView';
import { ErrorCodes } from '../protocol/messages';

/** A turn as `thread/turns/list` (or `thread/read`) reports it. */
export interface StoredTurn {
  readonly id?: string;
  readonly status?: string;
  readonly [key: string]: unknown;
}

/** Sends one request (already past the handshake). */
export type TurnReadRequest = (method: string, params: unknown) => Promise<unknown>;

/** Turns per `thread/turns/list` page. */
const PAGE_SIZE = 10;
/** Pages read at most while looking for one turn (newest first): a turn that old is not waited on. */
const MAX_PAGES = 5;

/** The newest page of a thread's turns (newest first), with `itemsView` detail. */
export async function recentTurns(request: TurnReadRequest, threadId: string, itemsView: TurnItemsView): Promise<readonly StoredTurn[]> {
  const page = await listPage(request, threadId, itemsView, null);
  return page ? page.turns : readAllTurns(request, threadId);
}

/**
 * The stored turn `turnId` with its items (`summary`: the user's messages and the last agent
 * message; `full`: every item), or null.
 */
export async function findStoredTurn(
  request: TurnReadRequest,
  threadId: string,
  turnId: string,
  itemsView: TurnItemsView = 'summary',
): Promise<StoredTurn | null> {
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await listPage(request, threadId, itemsView, cursor);
    if (!page) return (await readAllTurns(request, threadId)).find((t) => t.id === turnId) ?? null;
    const found = page.turns.find((t) => t.id === turnId);
    if (found) return found;
    if (page.nextCursor === null) return null;
    cursor = page.nextCursor;
  }
  return null;
}

/** The last agent message of a stored turn. */
export function lastAgentMessageOfTurn(turn: StoredTurn | null): { itemId: string | null; text: string } | null {
  const items = Array.isArray(turn?.items) ? (turn!.items as Array<Partial<ThreadItem> | null>) : [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item?.type === 'agentMessage' && typeof item.text === 'string') {
      return { itemId: typeof item.id === 'string' ? item.id : null, text: item.text };
    }
  }
  return null;
}

/** One `thread/turns/list` page (newest first), or null when the server has no such method. */
async function listPage(
  request: TurnReadRequest,
  threadId: string,
  itemsView: TurnItemsView,
  cursor: string | null,
): Promise<{ turns: StoredTurn[]; nextCursor: string | null } | null> {
  let listed: unknown;
  try {
    const params = { threadId, sortDirection: 'desc', limit: PAGE_SIZE, itemsView, ...(cursor !== null ? { cursor } : {}) };
    listed = await request('thread/turns/list', params);
  } catch (err) {
    if (lacksMethod(err, 'thread/turns/list')) return null;
    throw err;
  }
  const { data, nextCursor } = (listed ?? {}) as { data?: unknown; nextCursor?: unknown };
  return { turns: Array.isArray(data) ? (data as StoredTurn[]) : [], nextCursor: typeof nextCursor === 'string' ? nextCursor : null };
}

/** Every turn of the thread through `thread/read` (servers before `thread/turns/list`). */
async function readAllTurns(request: TurnReadRequest, threadId: string): Promise<StoredTurn[]> {
  const read = (await request('thread/read', { threadId, includeTurns: true })) as { thread?: { turns?: unknown } } | null;
  const turns = read?.thread?.turns;
  return Array.isArray(turns) ? (turns as StoredTurn[]) : [];
}

/** The answer of a server that lacks `method`: -32600 "unknown variant `<method>`" (codex), or the standard -32601. */
function lacksMethod(err: unknown, method: string): boolean {
  if (!(err instanceof CodexProtocolError)) return false;
  if (err.code === ErrorCodes.MethodNotFound) return true;
  return err.code === ErrorCodes.InvalidRequest && err.message.includes(`unknown variant \`${method}\``);
}
