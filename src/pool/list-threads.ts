import type { ListThreadsOptions } from '../options';
import type { ResultOf } from '../protocol/methods';
import type { Member } from './members';
import { poolFailure } from './pool-error';

type Page = ResultOf<'thread/list'>;
type Thread = Page['data'][number];

/** Where one member's listing stands: the cursor of the page being read, and how much of it was returned. */
interface MemberPosition {
  /** The member's cursor of the page being read (null: its first page). */
  c: string | null;
  /** Threads of that page already returned. */
  s: number;
  /** Every thread of this member was returned. */
  d?: 1;
}

const PREFIX = 'pool1.';

/**
 * One page of the threads of every member that is not closed (a closed one cannot answer; its
 * `health$` says so): a merge of the members' pages in the order asked (the server's: `created_at`,
 * `desc`, unless `sortKey`/`sortDirection` say otherwise), at most `limit` threads. Its `nextCursor`
 * encodes each member's position: the member's own cursor and how many threads of that page were
 * returned (the page is asked for again, that many longer, and those skipped), so no thread is
 * returned twice nor left out while the stores do not change. `backwardsCursor` is always null.
 */
export async function listAcross(
  members: readonly Member[],
  opts: ListThreadsOptions,
  learn: (threadId: string, member: Member) => void,
): Promise<Page> {
  const at = opts.cursor ? decodeCursor(opts.cursor) : {};
  const reading = members.filter((m) => m.state !== 'closed' && !at[m.id]?.d);
  const pages = await Promise.all(
    reading.map(async (m) => {
      const pos = at[m.id] ?? { c: null, s: 0 };
      const limit = opts.limit == null ? opts.limit : pos.s + opts.limit;
      const page = await m.client.listThreads({ ...opts, cursor: pos.c, limit }).catch((e: unknown) => {
        throw poolFailure(e, m.id);
      });
      for (const t of page.data) learn(t.id, m);
      return { m, pos, page, rest: page.data.slice(pos.s), taken: 0 };
    }),
  );
  const data: Thread[] = [];
  const before = order(opts);
  // A k-way merge: each member's threads stay in its own order, so what is taken of a page is a prefix of it.
  while (opts.limit == null || data.length < opts.limit) {
    let next: (typeof pages)[number] | undefined;
    for (const p of pages) {
      const head = p.rest[p.taken];
      if (head && (!next || before(head, next.rest[next.taken]!))) next = p;
    }
    if (!next) break;
    data.push(next.rest[next.taken++]!);
  }
  const after: Record<string, MemberPosition> = { ...at };
  for (const { m, pos, page, rest, taken } of pages) {
    if (taken < rest.length) after[m.id] = { c: pos.c, s: pos.s + taken };
    else after[m.id] = page.nextCursor == null ? { c: null, s: 0, d: 1 } : { c: page.nextCursor, s: 0 };
  }
  const more = members.some((m) => m.state !== 'closed' && !after[m.id]?.d);
  return { data, nextCursor: more ? encodeCursor(after) : null, backwardsCursor: null };
}

/** Whether `a` comes before `b` in the order asked. */
function order(opts: ListThreadsOptions): (a: Thread, b: Thread) => boolean {
  const key = opts.sortKey === 'updated_at' ? 'updatedAt' : 'createdAt';
  const desc = opts.sortDirection !== 'asc';
  return (a, b) => (desc ? a[key] > b[key] : a[key] < b[key]);
}

function encodeCursor(at: Record<string, MemberPosition>): string {
  // URI-encoded JSON: ASCII, opaque enough, and no Buffer (the pool runs in browsers too).
  return PREFIX + encodeURIComponent(JSON.stringify(at));
}

function decodeCursor(cursor: string): Record<string, MemberPosition> {
  try {
    if (!cursor.startsWith(PREFIX)) throw new Error('not a pool cursor');
    const at = JSON.parse(decodeURIComponent(cursor.slice(PREFIX.length))) as Record<string, MemberPosition>;
    for (const p of Object.values(at)) {
      if ((p.c !== null && typeof p.c !== 'string') || !Number.isInteger(p.s) || p.s < 0) throw new Error('bad position');
    }
    return at;
  } catch {
    throw new TypeError(`not a cursor of this pool's listThreads: ${cursor.slice(0, 40)}`);
  }
}
