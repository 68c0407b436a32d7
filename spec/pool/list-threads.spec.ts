/**
 * CodexPool.listThreads over FakeAppServers whose `thread/list` serves threads with chosen times:
 * one merged order across members, pages of `limit`, a cursor that holds each member's position.
 */
import type { ListThreadsOptions } from '../../src/options';
import { CodexPool } from '../../src/pool/pool';
import { FakeAppServer } from '../../src/testing';
import { threadObject } from '../../src/testing/frames/turns';

const pools: CodexPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Members whose stores hold threads created at the given seconds (`m<i>-<t>`); pages by offset, like the server's own. */
function listing(times: number[][]) {
  const servers = times.map((ts, i) => {
    const server = new FakeAppServer();
    const threads = ts.map((t) => threadObject(`m${i}-${t}`, { createdAt: t, updatedAt: 1000 - t }));
    server.handle('thread/list', (p) => {
      const key = p.sortKey === 'updated_at' ? 'updatedAt' : 'createdAt';
      const sorted = [...threads].sort((a, b) => (p.sortDirection === 'asc' ? a[key] - b[key] : b[key] - a[key]));
      const from = Number(p.cursor ?? 0);
      const to = p.limit ? from + p.limit : sorted.length;
      return { data: sorted.slice(from, to), nextCursor: to < sorted.length ? String(to) : null, backwardsCursor: null };
    });
    return server;
  });
  const pool = new CodexPool({ members: servers.map((s, i) => ({ id: `m${i}`, client: s.client() })) });
  pools.push(pool);
  return { pool, servers };
}

async function allPages(pool: CodexPool, opts: ListThreadsOptions): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await pool.listThreads({ ...opts, cursor });
    pages.push(page.data.map((t) => t.id));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

const TIMES = [
  [1, 4, 7, 10, 13],
  [2, 5, 8, 11, 14, 15, 16],
  [3, 6],
];
const ALL = TIMES.flatMap((ts, i) => ts.map((t) => ({ id: `m${i}-${t}`, t })));

describe('CodexPool.listThreads', () => {
  it('pages of `limit` over every member, newest first, each thread once, the cursor resuming each member where it stood', async () => {
    const { pool } = listing(TIMES);
    const pages = await allPages(pool, { limit: 4 });
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 2]);
    expect(pages.flat()).toEqual([...ALL].sort((a, b) => b.t - a.t).map((x) => x.id));
  });

  it('follows sortKey and sortDirection', async () => {
    const { pool } = listing(TIMES);
    expect((await allPages(pool, { limit: 5, sortDirection: 'asc' })).flat()).toEqual([...ALL].sort((a, b) => a.t - b.t).map((x) => x.id));
    // updatedAt = 1000 - createdAt: newest updated first is oldest created first
    expect((await allPages(pool, { limit: 3, sortKey: 'updated_at' })).flat()).toEqual([...ALL].sort((a, b) => a.t - b.t).map((x) => x.id));
  });

  it('without a limit: every member’s page at once, and no cursor when every member is done', async () => {
    const { pool } = listing(TIMES);
    const page = await pool.listThreads();
    expect(page.data).toHaveLength(ALL.length);
    expect(page.nextCursor).toBeNull();
    expect(page.backwardsCursor).toBeNull();
  });

  it('learns where each listed thread lives: a call on it needs no lookup', async () => {
    const { pool, servers } = listing(TIMES);
    await pool.listThreads({ limit: 3 });
    expect(await pool.memberOf('m1-16')).toBe('m1');
    expect(servers.map((s) => s.requestsOf('thread/read').length)).toEqual([0, 0, 0]);
  });

  it('asks a member that is done no more, and refuses a cursor it did not make', async () => {
    const { pool, servers } = listing([[1], [2, 3, 4, 5]]);
    const first = await pool.listThreads({ limit: 2 });
    expect(first.data.map((t) => t.id)).toEqual(['m1-5', 'm1-4']);
    const second = await pool.listThreads({ limit: 2, cursor: first.nextCursor });
    expect(second.data.map((t) => t.id)).toEqual(['m1-3', 'm1-2']);
    const third = await pool.listThreads({ limit: 2, cursor: second.nextCursor });
    expect(third.data.map((t) => t.id)).toEqual(['m0-1']);
    expect(third.nextCursor).toBeNull();
    expect(servers.map((s) => s.requestsOf('thread/list').length)).toEqual([3, 2]);
    await expect(pool.listThreads({ cursor: 'abc' })).rejects.toThrow(TypeError);
  });
});
