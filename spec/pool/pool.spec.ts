/**
 * CodexPool over FakeAppServers (one in-memory server per member): where new threads go, that a
 * thread's calls stay on its member, how an unknown thread is found, approvals and interrupts
 * routed to the right member, a member's failure, and the health streams.
 */
import { expectTypeOf } from 'expect-type';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTransportError } from '../../src/errors';
import type { ClientOptions } from '../../src/options';
import { byKey, Member } from '../../src/pool/members';
import { CodexPool } from '../../src/pool/pool';
import { CodexPoolError } from '../../src/pool/pool-error';
import { FakeAppServer, toolCallRequest, type TurnScript } from '../../src/testing';
import { defineTool } from '../../src/tools';
import { ThreadHandle } from '../../src/thread-handle';

const pools: CodexPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** `n` fake servers (thread ids `s<i>-thr-<n>`, so each id names its server) and a pool over them. */
function poolOf(
  n: number,
  opts: { clientOptions?: ClientOptions; script?: TurnScript; place?: (key: string, ids: string[]) => string } = {},
) {
  const servers = Array.from({ length: n }, (_, i) => new FakeAppServer({ threadId: (k) => `s${i}-thr-${k}`, script: opts.script }));
  const pool = new CodexPool({
    members: servers.map((s, i) => ({ id: `m${i}`, client: () => s.client({ requestTimeoutMs: 10_000, ...opts.clientOptions }) })),
    ...(opts.place
      ? {
          place: (key, members) =>
            opts.place!(
              key,
              members.map((m) => m.id),
            ),
        }
      : {}),
  });
  pools.push(pool);
  return { servers, pool };
}

const serverOf = (threadId: string) => Number(/^s(\d+)-/.exec(threadId)![1]);
const turnThreads = (s: FakeAppServer) => s.requestsOf('turn/start').map((r) => r.params.threadId);
const hang: TurnScript = () => new Promise(() => undefined);

describe('placement', () => {
  it('spreads new threads over the members evenly, also when they are started at once', async () => {
    const { pool, servers } = poolOf(3);
    const handles = await Promise.all(Array.from({ length: 7 }, () => pool.startThread()));
    const per = [0, 1, 2].map((i) => handles.filter((h) => serverOf(h.threadId) === i).length);
    expect(per.sort()).toEqual([2, 2, 3]);
    expect(servers.map((s) => s.requestsOf('thread/start').length).sort()).toEqual([2, 2, 3]);
    expect(pool.members.map((m) => m.threads).sort()).toEqual([2, 2, 3]);
    expect(handles.every((h) => h instanceof ThreadHandle)).toBe(true);
  });

  it('puts a new thread on the member with the fewest running turns before the one with the fewest threads', async () => {
    const { pool, servers } = poolOf(2);
    const a = await pool.startThread(); // m0 (the first listed on a tie)
    expect(serverOf(a.threadId)).toBe(0);
    servers[0]!.onNextTurn(hang);
    const busy = a.chatOnce('hang').catch((e: unknown) => e);
    await firstValueFrom(pool.notifications$.pipe(take(1)));
    while (pool.members[0]!.client.stats.turns === 0) await new Promise((r) => setImmediate(r));
    // m1 has fewer threads anyway; start a second on m1 so threads tie at 1 : 1, then m0 is busier.
    const b = await pool.startThread();
    const c = await pool.startThread();
    expect([serverOf(b.threadId), serverOf(c.threadId)]).toEqual([1, 1]);
    await pool.close();
    expect(await busy).toBeInstanceOf(CodexPoolError);
  });

  it('a chat without a thread is placed too, and its thread stays on that member', async () => {
    const { pool, servers } = poolOf(2);
    await pool.startThread(); // m0 has one thread: the chat goes to m1
    const first = await pool.chatOnce('one');
    expect(serverOf(first.threadId)).toBe(1);
    expect((await pool.chatOnce('two', { threadId: first.threadId })).finalText).toBe('Echo: two');
    expect(turnThreads(servers[1]!)).toEqual([first.threadId, first.threadId]);
    expect(servers[0]!.requestsOf('turn/start')).toHaveLength(0);
    expect(await pool.memberOf(first.threadId)).toBe('m1');
  });

  it('a key picks the same member every time (rendezvous hash), or the member `place` names', async () => {
    const { pool } = poolOf(3);
    const ids = await Promise.all(['tenant-a', 'tenant-a', 'tenant-a', 'tenant-b'].map((key) => pool.startThread({}, { key })));
    const a = ids.slice(0, 3).map((h) => serverOf(h.threadId));
    expect(new Set(a).size).toBe(1);

    const placed = poolOf(3, { place: (key, members) => members[key.length % members.length]! });
    const h = await placed.pool.startThread({}, { key: 'ab' });
    expect(serverOf(h.threadId)).toBe(2);
    const events = await lastValueFrom(placed.pool.chatEvents('hi', { key: 'a' }).pipe(toArray()));
    expect(serverOf(events[0]!.threadId)).toBe(1);
  });

  it('by key, only the keys of a member that is gone move (rendezvous hashing)', () => {
    const members = ['m0', 'm1', 'm2'].map((id, i) => new Member(id, new FakeAppServer().client(), i));
    const keys = Array.from({ length: 300 }, (_, i) => `tenant-${i}`);
    const before = keys.map((k) => byKey(k, members).id);
    const counts = ['m0', 'm1', 'm2'].map((id) => before.filter((x) => x === id).length);
    expect(Math.min(...counts)).toBeGreaterThan(60); // each member gets a share
    const after = keys.map((k) => byKey(k, [members[0]!, members[2]!]).id);
    keys.forEach((_, i) => before[i] !== 'm1' && expect(after[i]).toBe(before[i]));
    expect(after.filter((x) => x === 'm1')).toEqual([]);
    for (const m of members) m.dispose();
  });

  it('`place` returning no member id is a TypeError', async () => {
    const { pool } = poolOf(2, { place: () => 'nope' });
    await expect(pool.startThread({}, { key: 'k' })).rejects.toThrow(/PoolOptions.place returned nope/);
  });
});

describe('affinity and routing by thread id', () => {
  it("a handle's calls go to its member only: chat, read, name, fork (the fork stays there)", async () => {
    const { pool, servers } = poolOf(3);
    await pool.startThread();
    const h = await pool.startThread(); // m1
    expect((await h.chatOnce('x')).finalText).toBe('Echo: x');
    const steps = await lastValueFrom(h.chat('y').pipe(toArray()));
    expect(steps.map((s) => s.threadId)).toEqual(expect.arrayContaining([h.threadId]));
    await h.setName('named');
    expect((await h.read()).thread.name).toBe('named');
    const fork = await h.fork();
    expect(serverOf(fork.threadId)).toBe(1);
    expect(turnThreads(servers[1]!)).toEqual([h.threadId, h.threadId]);
    for (const i of [0, 2]) {
      expect(servers[i]!.requests.map((r) => r.method).filter((m) => m !== 'initialize' && m !== 'thread/start')).toEqual([]);
    }
  });

  it('request() routes by params.threadId, thread/start by placement, anything else to the first member up', async () => {
    const { pool, servers } = poolOf(2);
    const started = await pool.request('thread/start', {});
    const second = await pool.request('thread/start', {});
    expect([serverOf(started.thread.id), serverOf(second.thread.id)]).toEqual([0, 1]);
    await pool.request('thread/name/set', { threadId: second.thread.id, name: 'n' });
    await lastValueFrom(pool.request$('thread/name/set', { threadId: second.thread.id, name: 'm' }));
    expect(servers[1]!.requestsOf('thread/name/set')).toHaveLength(2);
    for (const s of servers) s.handle('model/list', () => ({ data: [], nextCursor: null }));
    await pool.listModels();
    expect(servers[0]!.requestsOf('model/list')).toHaveLength(1);
    expect(servers[1]!.requestsOf('model/list')).toHaveLength(0);
  });

  it('an unknown thread id is looked for once on every member, then routes there', async () => {
    const { pool, servers } = poolOf(3);
    const id = servers[2]!.addThread('saved-earlier');
    const [a, b] = await Promise.all([pool.chatOnce('one', { threadId: id }), pool.readThread(id)]);
    expect(a.threadId).toBe(id);
    expect(b.thread.id).toBe(id);
    // one lookup for the two concurrent calls, on every member
    expect(servers.map((s) => s.requestsOf('thread/read').length)).toEqual([1, 1, 2]);
    expect(turnThreads(servers[2]!)).toEqual([id]);
    await pool.chatOnce('two', { threadId: id });
    expect(servers.map((s) => s.requestsOf('thread/read').length)).toEqual([1, 1, 2]);
  });

  it('a thread no member has fails as one client would: the first member’s CodexProtocolError', async () => {
    const { pool } = poolOf(2);
    const err = await pool.chatOnce('x', { threadId: 'nowhere' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
  });

  it('a continuation routes by its thread (cancel)', async () => {
    const { pool, servers } = poolOf(2);
    await pool.startThread();
    const h = await pool.startThread(); // m1
    servers[1]!.onNextTurn(hang);
    const err = await h.chatOnce('slow', { inactivityTimeoutMs: 50 }).catch((e: unknown) => e);
    const continuation = (err as { continuation: { threadId: string; turnId: string; cursor: number; mode: 'once' } }).continuation;
    expect(continuation.threadId).toBe(h.threadId);
    const cancelled = await pool.cancel(continuation);
    expect(cancelled.wasInterrupted).toBe(true);
    expect(servers[1]!.requestsOf('turn/interrupt')).toHaveLength(1);
    expect(servers[0]!.requestsOf('turn/interrupt')).toHaveLength(0);
  });

  it('interruptTurn without threadId finds the member that runs the turn', async () => {
    const { pool, servers } = poolOf(2);
    await pool.startThread();
    const h = await pool.startThread(); // m1
    servers[1]!.onNextTurn(hang);
    const events: string[] = [];
    const running = h.chatEvents('hang').subscribe({ next: (e) => events.push(e.turnId), error: () => undefined });
    while (events.length === 0) await new Promise((r) => setImmediate(r));
    await pool.interruptTurn(events[0]!);
    expect(servers[1]!.requestsOf('turn/interrupt').map((r) => r.params.turnId)).toEqual([events[0]]);
    running.unsubscribe();
    await expect(pool.interruptTurn('turn-unknown')).rejects.toThrow(TypeError);
  });
});

describe('approvals', () => {
  it('an approval request of a member is answered on that member through the pool', async () => {
    const approve: TurnScript = async (turn) => {
      const decision = await turn.approval({ command: 'rm -rf build' });
      turn.message(`decided ${JSON.stringify(decision)}`);
    };
    const { pool, servers } = poolOf(2, { clientOptions: { approvalMode: 'manual' } });
    await pool.startThread();
    const h = await pool.startThread(); // m1
    servers[1]!.onNextTurn(approve);
    const request = firstValueFrom(pool.approvalRequests$);
    const result = h.chatOnce('go');
    await pool.approveApproval(await request);
    expect((await result).finalText).toBe('decided "accept"');
    expect(servers[1]!.serverRequests).toHaveLength(1);
    expect(servers[0]!.serverRequests).toHaveLength(0);
  });
});

describe('handlers, tools and views through the pool', () => {
  it('setApprovalHandler reaches every member; onServerRequest too, and its unsubscription leaves all', async () => {
    const approve: TurnScript = async (turn) => turn.message(`decided ${JSON.stringify(await turn.approval({ command: 'ls' }))}`);
    const { pool } = poolOf(2, { script: approve });
    pool.setApprovalHandler(() => 'accept');
    const [a, b] = await Promise.all([pool.startThread(), pool.startThread()]);
    expect((await a.chatOnce('x')).finalText).toBe('decided "accept"');
    expect((await b.chatOnce('x')).finalText).toBe('decided "accept"');
    const seen: string[] = [];
    const sub = pool.onServerRequest('item/commandExecution/requestApproval', (p) => (seen.push(p.threadId), { decision: 'decline' }));
    expect((await b.chatOnce('y')).finalText).toBe('decided "decline"');
    expect((await a.chatOnce('y')).finalText).toBe('decided "decline"');
    expect(seen).toEqual([b.threadId, a.threadId]);
    sub.unsubscribe();
    expect((await b.chatOnce('z')).finalText).toBe('decided "accept"');
  });

  it("a client-side tool of a thread is run by the thread's member", async () => {
    const { pool, servers } = poolOf(2, { clientOptions: { experimentalApi: true } });
    await pool.startThread();
    const tools = [
      defineTool({
        name: 'upper',
        description: 'upper-cases',
        inputSchema: { type: 'object' },
        execute: (a: { text: string }) => a.text.toUpperCase(),
      }),
    ];
    const h = await pool.startThread({ tools }); // m1
    expect(servers[1]!.requestsOf('thread/start')[0]!.params).toHaveProperty('dynamicTools');
    servers[1]!.onNextTurn(async (turn) => {
      const answer = await turn.request((id) =>
        toolCallRequest({ id, threadId: turn.threadId, turnId: turn.turnId, tool: 'upper', arguments: { text: turn.text } }),
      );
      turn.message(JSON.stringify((answer as { result: unknown }).result));
    });
    expect(JSON.parse((await h.chatOnce('shout')).finalText)).toEqual({
      contentItems: [{ type: 'inputText', text: 'SHOUT' }],
      success: true,
    });
  });

  it("a handle's view$ is its member's thread view", async () => {
    const { pool } = poolOf(2);
    await pool.startThread();
    const h = await pool.startThread();
    await h.chatOnce('seen');
    const view = await firstValueFrom(h.view$);
    expect(view.threadId).toBe(h.threadId);
    expect(view.turns).toHaveLength(1);
  });
});

describe('a member that fails', () => {
  it("fails its own threads' calls with CodexPoolError naming it; the others go on; new threads avoid it", async () => {
    const { pool, servers } = poolOf(3);
    const hs = await Promise.all([pool.startThread(), pool.startThread(), pool.startThread()]);
    const on1 = hs.find((h) => serverOf(h.threadId) === 1)!;
    servers[1]!.onNextTurn(hang);
    const failing = on1.chatOnce('hang').catch((e: unknown) => e);
    while (pool.members[1]!.client.stats.turns === 0) await new Promise((r) => setImmediate(r));
    servers[1]!.transport.exit(137, 'SIGKILL');
    const err = (await failing) as CodexPoolError;
    expect(err).toBeInstanceOf(CodexPoolError);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ name: 'CodexPoolError', memberId: 'm1', code: 'exited', signal: 'SIGKILL' });
    expect(err.cause).toBeInstanceOf(CodexTransportError);
    await expect(on1.read()).rejects.toMatchObject({ name: 'CodexPoolError', memberId: 'm1' });

    for (const h of hs.filter((x) => x !== on1)) expect((await h.chatOnce('still')).finalText).toBe('Echo: still');
    const fresh = await Promise.all(Array.from({ length: 4 }, () => pool.startThread()));
    expect(fresh.map((h) => serverOf(h.threadId)).filter((i) => i === 1)).toEqual([]);
    expect(await firstValueFrom(pool.health$)).toEqual({ m0: 'connected', m1: 'closed', m2: 'connected' });
    expect(await firstValueFrom(pool.connectionState$)).toBe('connected');
  });

  it('start() and initialize() go on without a dead member, and fail only when every member is dead', async () => {
    const { pool, servers } = poolOf(2);
    await pool.start();
    servers[0]!.transport.exit(1);
    expect((await pool.initialize()).serverVersion).toBeTruthy();
    expect(servers[1]!.initialized).toBe(true);
    await expect(pool.start()).resolves.toBe(pool);
    const dead = poolOf(2);
    await dead.pool.start();
    for (const s of dead.servers) s.transport.exit(1);
    await expect(dead.pool.initialize()).rejects.toMatchObject({ name: 'CodexPoolError', memberId: 'm0' });
  });

  it('with every member closed, a new thread fails with CodexPoolError (memberId null); connectionState$ is closed', async () => {
    const { pool, servers } = poolOf(2);
    await pool.start();
    for (const s of servers) s.transport.exit(1);
    await expect(pool.startThread()).rejects.toMatchObject({ name: 'CodexPoolError', memberId: null, code: 'closed' });
    expect(await firstValueFrom(pool.connectionState$)).toBe('closed');
  });
});

describe('the pool itself', () => {
  it("has every public member of CodexClient's (type-level), and hands out ThreadHandles over itself", () => {
    expectTypeOf<Exclude<keyof CodexClient, keyof CodexPool>>().toEqualTypeOf<never>();
    expectTypeOf<CodexPool['startThread']>().returns.resolves.toEqualTypeOf<ThreadHandle>();
  });

  it('needs members with unique ids', () => {
    expect(() => new CodexPool({ members: [] })).toThrow(TypeError);
    const c = () => new FakeAppServer().client();
    expect(
      () =>
        new CodexPool({
          members: [
            { id: 'a', client: c },
            { id: 'a', client: c },
          ],
        }),
    ).toThrow(/unique/);
  });

  it('takes plain clients and factories; ids default to member-<index>; close() closes every member', async () => {
    const a = new FakeAppServer().client();
    const pool = new CodexPool({ members: [a, () => new FakeAppServer().client()] });
    expect(pool.members.map((m) => m.id)).toEqual(['member-0', 'member-1']);
    expect(pool.members[0]!.client).toBe(a);
    expect(pool.serverVersion).toBeNull();
    expect((await pool.initialize()).serverVersion).toBeTruthy();
    expect(pool.serverVersion).toBe(a.serverVersion);
    await pool.close();
    expect(pool.members.map((m) => m.state)).toEqual(['closed', 'closed']);
    expect(pool.members[1]!.client).toBeInstanceOf(CodexClient);
  });
});

describe('environments (experimental)', () => {
  it('adds an environment on every member, so a thread on any member can be placed on it; status from the first member', async () => {
    const { pool, servers } = poolOf(2, { clientOptions: { experimentalApi: true } });
    servers.forEach((s, i) => {
      s.handle('environment/add', () => ({}));
      s.handle('environment/status', () => ({ status: i === 0 ? ('ready' as const) : ('pending' as const) }));
    });
    await pool.addEnvironment({ id: 'gpu-1', url: 'ws://127.0.0.1:9', token: 'tok-secret' });
    for (const s of servers) {
      expect(s.requestsOf('environment/add').map((r) => r.params)).toEqual([
        expect.objectContaining({ environmentId: 'gpu-1', execServerUrl: 'ws://127.0.0.1:9', authBearerToken: 'tok-secret' }),
      ]);
    }
    expect(await pool.environmentStatus('gpu-1')).toMatchObject({ status: 'ready' });
    await expect(pool.addEnvironment({ id: 'local', url: 'ws://127.0.0.1:9' })).rejects.toThrow(TypeError);
  });
});
