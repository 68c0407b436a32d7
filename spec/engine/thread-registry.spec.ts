import { ThreadRegistry } from '../../src/engine/thread-registry';

/** A registry whose requests answer `{thread: {id}}` with the thread asked for (or a new one). */
function registry(capacity: number) {
  const sent: Array<[string, unknown]> = [];
  let n = 0;
  const request = async (method: string, params?: unknown) => {
    sent.push([method, params]);
    const id = (params as { threadId?: string }).threadId ?? `new-${++n}`;
    return { thread: { id } };
  };
  return { threads: new ThreadRegistry(request, undefined, capacity), sent };
}

describe('ThreadRegistry', () => {
  it('remembers at most `capacity` threads, forgetting the least recently used first', async () => {
    const { threads, sent } = registry(3);
    for (const id of ['a', 'b', 'c']) await threads.open('thread/resume', { threadId: id });
    expect(threads.threadFor({ threadId: 'a' })).toBe('a'); // known: no round trip, and now most recent
    await threads.open('thread/resume', { threadId: 'd' }); // forgets b, the least recently used
    expect(threads.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => threads.has(id))).toEqual([true, false, true, true]);
    sent.length = 0;
    await threads.threadFor({ threadId: 'b' }); // forgotten: resumed again
    expect(sent).toEqual([['thread/resume', { threadId: 'b' }]]);
  });

  it('stays bounded over many threads', async () => {
    const { threads } = registry(100);
    for (let i = 0; i < 10_000; i++) await threads.open('thread/start', {});
    expect(threads.size).toBe(100);
    expect(threads.has('new-10000')).toBe(true);
    expect(threads.has('new-9900')).toBe(false);
  });
});
