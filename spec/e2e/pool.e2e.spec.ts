/**
 * End-to-end: a CodexPool over three REAL `codex app-server` processes (stdio, `restart` on), each
 * with its own CODEX_HOME and scripted model, so each server stores only its own threads and
 * affinity is observable: 20 threads spread over the three, each thread's turns go out on its
 * member's link only, listThreads spans the three, and one server SIGKILLed mid-run fails its own
 * turns with CodexPoolError while the other two finish theirs; restarted, its threads resume there.
 * The tests run in order and share the pool. Last, a pool of a stdio member and a WebSocket member
 * (through a TCP proxy that cuts the link): the cut member redials and its thread's turns go on there.
 */
import { filter, firstValueFrom } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import { CodexPool } from '../../src/pool/pool';
import { CodexPoolError } from '../../src/pool/pool-error';
import type { StdioTransport } from '../../src/streams/stdio';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import type { ThreadHandle } from '../../src/thread-handle';
import { startListening, type ListeningServer } from '../support/listening-server';
import { isAlive } from '../support/process-helpers';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(180_000);

const IDS = ['s0', 's1', 's2'];
let offs: OfflineCodex[] = [];
let pool: CodexPool;
/** Every frame each member sent, by member id (its own link's `framesOut$`). */
const sent: Record<string, JsonRpcMessage[]> = {};
let handles: ThreadHandle[] = [];
/** Member id of each thread, as the pool routes it. */
const memberOf = new Map<string, string>();

beforeAll(async () => {
  offs = await Promise.all(IDS.map(() => startOfflineCodex({ features: { shell_snapshot: false } })));
  pool = new CodexPool({ members: offs.map((off, i) => ({ id: IDS[i]!, client: off.client({ restart: true }) })) });
  for (const m of pool.members) m.client.framesOut$.subscribe((f) => (sent[m.id] ??= []).push(f));
});
afterAll(async () => {
  await pool?.close();
  await Promise.all(offs.map((o) => o.dispose()));
});

const client = (id: string): CodexClient => pool.members.find((m) => m.id === id)!.client;
const pidOf = (id: string) => (client(id) as unknown as { connection: { transport: StdioTransport } }).connection.transport.pid!;
/** The threadIds of the requests of `method` a member sent. */
const sentThreads = (id: string, method: string) =>
  (sent[id] ?? []).filter((f) => 'method' in f && f.method === method).map((f) => (f as { params: { threadId: string } }).params.threadId);
const threadsOn = (id: string) => handles.filter((h) => memberOf.get(h.threadId) === id);

it('spreads 20 threads over the 3 app-servers (7, 7, 6: the least busy member each time)', async () => {
  handles = await Promise.all(Array.from({ length: 20 }, () => pool.startThread({ cwd: offs[0]!.workspace })));
  for (const h of handles) memberOf.set(h.threadId, await pool.memberOf(h.threadId));
  const spread = IDS.map((id) => threadsOn(id).length);
  console.log(`pool spread of 20 threads over ${IDS.join(', ')}: ${spread.join(', ')}`);
  expect([...spread].sort()).toEqual([6, 7, 7]);
  // each member's own link carried exactly its threads' thread/start
  for (const id of IDS)
    expect((sent[id] ?? []).filter((f) => 'method' in f && f.method === 'thread/start')).toHaveLength(threadsOn(id).length);
});

it("keeps each thread's turns on its member: turn/start goes out on that member's link, and only its server stores the thread", async () => {
  const results = await Promise.all(handles.map((h, i) => h.chatOnce(`ECHO turn ${i}`)));
  expect(results.map((r) => r.finalText)).toEqual(handles.map((_, i) => `Echo: turn ${i}`));
  for (const id of IDS) {
    const mine = threadsOn(id).map((h) => h.threadId);
    expect(new Set(sentThreads(id, 'turn/start'))).toEqual(new Set(mine));
    // separate homes: the member's own server lists its threads and no other member's
    const listed = (await client(id).listThreads({ limit: 100 })).data.map((t) => t.id);
    expect(new Set(listed)).toEqual(new Set(mine));
  }
});

it('listThreads spans the three servers: 20 threads in pages of 6, none twice', async () => {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await pool.listThreads({ limit: 6, cursor });
    ids.push(...page.data.map((t) => t.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(ids).toHaveLength(20);
  expect(new Set(ids)).toEqual(new Set(handles.map((h) => h.threadId)));
  expect(pages).toBe(4);
});

it("a member SIGKILLed mid-run fails its own threads' turns with CodexPoolError; the other two finish theirs intact", async () => {
  const victim = 's1';
  const survivors = handles.filter((h) => memberOf.get(h.threadId) !== victim);
  const doomed = threadsOn(victim).slice(0, 3);
  const order: string[] = [];
  const survived = survivors.map((h, i) => h.chatOnce(`SLOW 3000 survivor ${i}`).then((r) => (order.push('survivor'), r.finalText)));
  const failed = doomed.map((h) =>
    h.chatOnce('HANG').then(
      () => null,
      (e: unknown) => (order.push('failed'), e),
    ),
  );
  // every doomed turn has started on the victim's server
  const started = new Set<string>();
  await firstValueFrom(
    client(victim).notifications$.pipe(
      filter((n) => n.method === 'turn/started' && started.add((n.params as { threadId: string }).threadId).size === doomed.length),
    ),
  );
  const pid = pidOf(victim);
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');

  const errors = await Promise.all(failed);
  console.log(`the killed member's ${doomed.length} turns failed ${Math.round(performance.now() - killedAt)} ms after the SIGKILL`);
  for (const e of errors) {
    expect(e).toBeInstanceOf(CodexPoolError);
    expect(e).toMatchObject({ name: 'CodexPoolError', memberId: victim, code: 'exited', signal: 'SIGKILL' });
  }
  expect(await Promise.all(survived)).toEqual(survivors.map((_, i) => `survivor ${i}`));
  // the victim's turns failed before any survivor's 3 s turn ended
  expect(order.slice(0, doomed.length)).toEqual(doomed.map(() => 'failed'));
  expect(isAlive(pid)).toBe(false);

  // new threads avoid the dead member while it is down
  expect(pool.members.find((m) => m.id === victim)!.state).toBe('reconnecting');
  const fresh = await Promise.all([pool.startThread(), pool.startThread(), pool.startThread()]);
  for (const h of fresh) expect(await pool.memberOf(h.threadId)).not.toBe(victim);
});

it('restarted (restart: true), the killed member takes its threads back: resumed there, and the next turn works', async () => {
  const victim = 's1';
  const before = pidOf(victim);
  const mine = threadsOn(victim);
  const resumesBefore = sentThreads(victim, 'thread/resume').length;
  const results = await Promise.all(mine.map((h, i) => h.chatOnce(`ECHO back ${i}`)));
  expect(results.map((r) => r.finalText)).toEqual(mine.map((_, i) => `Echo: back ${i}`));
  expect(pidOf(victim)).not.toBe(before);
  // each thread was resumed on the new server of the same member: affinity kept
  expect(new Set(sentThreads(victim, 'thread/resume').slice(resumesBefore))).toEqual(new Set(mine.map((h) => h.threadId)));
  for (const h of mine) expect(await pool.memberOf(h.threadId)).toBe(victim);
  for (const id of IDS.filter((x) => x !== victim)) {
    expect(sentThreads(id, 'thread/resume').filter((t) => mine.some((h) => h.threadId === t))).toEqual([]);
  }
  expect(await firstValueFrom(pool.health$)).toEqual({ s0: 'connected', s1: 'connected', s2: 'connected' });
});

describe('a pool of mixed transports: a stdio member and a WebSocket member with reconnect', () => {
  const TOKEN = 'codex-rx-pool-token';
  let server: ListeningServer;
  let proxy: TcpProxy;
  let mixed: CodexPool;
  beforeAll(async () => {
    server = await startListening(offs[2]!, { ws: true, token: TOKEN });
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port! });
    mixed = new CodexPool({
      members: [
        { id: 'stdio', client: () => offs[0]!.client() },
        { id: 'ws', client: () => CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${proxy.port}`, token: TOKEN, reconnect: true }) },
      ],
    });
  });
  afterAll(async () => {
    await mixed?.close();
    proxy?.close();
    await server?.stop();
  });

  it("a cut WebSocket link is redialed: the member's turn completes there, and its thread's next turn too", async () => {
    const [a, b] = await Promise.all([mixed.startThread({ cwd: offs[0]!.workspace }), mixed.startThread({ cwd: offs[2]!.workspace })]);
    expect([await mixed.memberOf(a.threadId), await mixed.memberOf(b.threadId)]).toEqual(['stdio', 'ws']);
    const ws = mixed.members[1]!.client;
    const states: string[] = [];
    ws.connectionState$.subscribe((s) => states.push(s));
    const started = firstValueFrom(ws.notifications$.pipe(filter((n) => n.method === 'turn/started')));
    const slow = b.chatOnce('SLOW 1500 after the cut');
    const other = a.chatOnce('ECHO meanwhile');
    await started;
    proxy.cut();
    expect((await slow).finalText).toBe('after the cut');
    expect((await other).finalText).toBe('Echo: meanwhile');
    expect((await b.chatOnce('ECHO again')).finalText).toBe('Echo: again');
    expect(await mixed.memberOf(b.threadId)).toBe('ws');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(mixed.members[0]!.client.stats.turns).toBe(0);
  });
});
