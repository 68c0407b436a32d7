import { CodexProtocolError } from '../errors';
import type { Turn } from '../protocol/generated/v2/Turn';
import { ErrorCodes } from '../protocol/messages';
import type { StoredThread } from './reconcile-thread-view';

/** Sends one request and resolves with its result. */
export type ViewRequest = (method: string, params: unknown) => Promise<unknown>;

/** Turns per `thread/turns/list` page, and pages read at most (a longer history is cut at its oldest). */
const PAGE_SIZE = 50;
const MAX_PAGES = 40;

/**
 * A thread's stored turns with every item (oldest first) and its status: `thread/turns/list`
 * pages plus `thread/read` (without turns, which would draw a `deprecationNotice`); a server
 * without `thread/turns/list` is read with `thread/read` and `includeTurns`. A thread not
 * materialized yet (no turn so far) and an ephemeral thread have none.
 */
export async function readStoredThread(request: ViewRequest, threadId: string): Promise<StoredThread> {
  const [turns, read] = await Promise.all([listTurns(request, threadId), request('thread/read', { threadId })]);
  const thread = (read as { thread?: { status?: StoredThread['status']; turns?: Turn[] } } | null)?.thread;
  return { turns: turns ?? (Array.isArray(thread?.turns) ? thread.turns : []), status: thread?.status ?? null };
}

async function listTurns(request: ViewRequest, threadId: string): Promise<Turn[] | null> {
  const newestFirst: Turn[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    let listed: { data?: Turn[]; nextCursor?: string | null };
    try {
      // Newest first, so a history longer than the cap keeps its recent end.
      const params = { threadId, sortDirection: 'desc', limit: PAGE_SIZE, itemsView: 'full', ...(cursor ? { cursor } : {}) };
      listed = ((await request('thread/turns/list', params)) ?? {}) as typeof listed;
    } catch (err) {
      if (lacksMethod(err)) return readAll(request, threadId);
      // A thread before its first turn, or an ephemeral one, has no stored turns: the view is live only.
      if (storesNoTurns(err)) return [];
      throw err;
    }
    newestFirst.push(...(Array.isArray(listed.data) ? listed.data : []));
    cursor = typeof listed.nextCursor === 'string' ? listed.nextCursor : null;
    if (cursor === null) break;
  }
  return newestFirst.reverse();
}

async function readAll(request: ViewRequest, threadId: string): Promise<Turn[]> {
  const read = (await request('thread/read', { threadId, includeTurns: true })) as { thread?: { turns?: Turn[] } } | null;
  return Array.isArray(read?.thread?.turns) ? read.thread.turns : [];
}

/** The server's answers for a thread that has no stored turns to list (0.171.0's wording). */
function storesNoTurns(err: unknown): boolean {
  return (
    err instanceof CodexProtocolError &&
    err.code === ErrorCodes.InvalidRequest &&
    /not materialized yet|ephemeral threads do not support/.test(err.message)
  );
}

function lacksMethod(err: unknown): boolean {
  if (!(err instanceof CodexProtocolError)) return false;
  return err.code === ErrorCodes.MethodNotFound || (err.code === ErrorCodes.InvalidRequest && err.message.includes('unknown variant'));
}
