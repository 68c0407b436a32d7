/**
 * Resource hygiene: unsubscribing mid-turn, close() during a turn, 1,000 turns in a loop, close()
 * from any state, and the cap on events buffered for continuations. Fake app-server over stdio.
 */
import { filter, firstValueFrom } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTransportError, CodexTurnInactiveError } from '../../src/errors';
import type { StdioOptions } from '../../src/options';
import { StdioTransport } from '../../src/streams/stdio';
import { isAlive } from '../support/process-helpers';
import { ZERO_STATS } from '../support/stats';
import { FAKE_SERVER } from '../support/fake-process';

const ZERO = ZERO_STATS;
const WATCHED = ['ProcessWrap', 'PipeWrap', 'Timeout'];

const clients: CodexClient[] = [];
function fake(opts: StdioOptions = {}): { client: CodexClient; transport: StdioTransport } {
  const transport = new StdioTransport({ command: [process.execPath, FAKE_SERVER], ...opts });
  const client = new CodexClient(transport, opts);
  clients.push(client);
  return { client, transport };
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function resources(): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(WATCHED.map((t) => [t, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in out) out[r]!++;
  return out;
}
/** Node closes a dead child's handles a moment after 'close': wait (up to 2 s) for the counts to drop back. */
async function resourcesBackTo(before: Record<string, number>): Promise<Record<string, number>> {
  let now = resources();
  for (let i = 0; i < 100 && WATCHED.some((t) => now[t]! > before[t]!); i++) {
    await new Promise((r) => setTimeout(r, 20));
    now = resources();
  }
  return now;
}
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
async function received(client: CodexClient): Promise<Array<Record<string, unknown>>> {
  return ((await client.request('fake/stats')) as { received: Array<Record<string, unknown>> }).received;
}

describe('leaving a turn early', () => {
  it('unsubscribing from chat() mid-turn frees the turn at once (its thread stays held while the turn runs on the server)', async () => {
    const { client, transport } = fake();
    await client.initialize();
    const pid = transport.pid!;
    const sub = client.chat('HANG').subscribe({ error: () => undefined });
    await until(() => client.stats.turns === 1, 'the turn to be bound');
    sub.unsubscribe();
    // HANG never ends on the server: a turn/start on its thread would join it.
    expect(client.stats).toEqual({ ...ZERO, busyThreads: 1 });
    // the connection is still good for the next turn (on a thread of its own)
    expect((await client.chatOnce('ECHO next')).finalText).toBe('Echo: next');
    expect(client.stats).toEqual({ ...ZERO, busyThreads: 1 });
    await client.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('with interruptOnUnsubscribe it also interrupts the turn on the server', async () => {
    const { client } = fake();
    const sub = client.chat('HANG', { interruptOnUnsubscribe: true }).subscribe({ error: () => undefined });
    await until(() => client.stats.turns === 1, 'the turn to be bound');
    sub.unsubscribe();
    expect(client.stats.turns).toBe(0);
    // (The interrupt may wait for the server's turn/started before it goes out.)
    let interrupts: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 200 && interrupts.length === 0; i++) {
      interrupts = (await received(client)).filter((f) => f.method === 'turn/interrupt');
    }
    expect(interrupts).toEqual([{ id: expect.any(Number), method: 'turn/interrupt', params: { threadId: 'thr_1', turnId: 'turn_1' } }]);
    await until(() => client.stats.pendingRequests === 0, 'the interrupt to be answered');
    expect(client.stats).toEqual(ZERO);
  });

  it('close() during a turn fails it with CodexTransportError and leaves nothing behind', async () => {
    const before = resources();
    const { client, transport } = fake();
    const turn = client.chatOnce('HANG').catch((e: unknown) => e);
    await until(() => client.stats.turns === 1, 'the turn to be bound');
    const pid = transport.pid!;
    await client.close();
    const err = await turn;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect((err as Error).message).toContain('closed by the client');
    expect(client.stats).toEqual(ZERO);
    expect(isAlive(pid)).toBe(false);
    const after = await resourcesBackTo(before);
    for (const t of WATCHED) expect(after[t]).toBeLessThanOrEqual(before[t]!);
  });
});

describe('1,000 turns in a loop', () => {
  it('leaves no routing entry, request, timer or process behind', async () => {
    const before = resources();
    const { client, transport } = fake();
    const thread = await client.startThread();
    for (let i = 0; i < 1_000; i++) {
      const result = await thread.chatOnce(`ECHO ${i}`);
      if (result.finalText !== `Echo: ${i}`) throw new Error(`turn ${i}: ${result.finalText}`);
      if (client.stats.turns !== 0 || client.stats.pendingRequests !== 0) throw new Error(`turn ${i} left ${JSON.stringify(client.stats)}`);
    }
    expect(client.stats).toEqual(ZERO);
    const pid = transport.pid!;
    await client.close();
    expect(isAlive(pid)).toBe(false);
    const after = await resourcesBackTo(before);
    for (const t of WATCHED) expect(after[t]).toBeLessThanOrEqual(before[t]!);
  }, 180_000);
});

describe('close() from any state', () => {
  it('never started: resolves, twice; start() then rejects', async () => {
    const { client, transport } = fake();
    await expect(client.close()).resolves.toBeUndefined();
    await expect(client.close()).resolves.toBeUndefined();
    await expect(client.start()).rejects.toBeInstanceOf(CodexTransportError);
    expect(transport.pid).toBeUndefined();
  });

  it('while starting: start() rejects with CodexTransportError, close() resolves, the process is gone', async () => {
    const { client, transport } = fake();
    const starting = client.start().then(
      () => null,
      (e: unknown) => e,
    );
    const pid = transport.pid;
    const closing = client.close();
    await expect(closing).resolves.toBeUndefined();
    expect(await starting).toBeInstanceOf(CodexTransportError);
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
    await expect(client.close()).resolves.toBeUndefined();
  });

  it('started: concurrent and repeated close() all resolve; start() and requests then reject', async () => {
    const { client, transport } = fake();
    await client.initialize();
    const pid = transport.pid!;
    await expect(Promise.all([client.close(), client.close()])).resolves.toEqual([undefined, undefined]);
    await expect(client.close()).resolves.toBeUndefined();
    expect(isAlive(pid)).toBe(false);
    await expect(client.start()).rejects.toBeInstanceOf(CodexTransportError);
    await expect(client.listModels()).rejects.toBeInstanceOf(CodexTransportError);
    await expect(client.chatOnce('ECHO x')).rejects.toBeInstanceOf(CodexTransportError);
  });
});

describe('events buffered for continuations', () => {
  const opts = { inactivityTimeoutMs: 150 };

  it('are capped by maxBufferedEvents: past the cap the turn cannot be resumed, and is freed', async () => {
    const { client } = fake({ ...opts, maxBufferedEvents: 5 });
    const err = await client.chatOnce('SILENT_THEN 500 20 done').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTurnInactiveError);
    expect(client.stats.turns).toBe(1); // suspended, buffering
    await firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/completed')));
    const resumed = await client
      .chatOnce(undefined, { continuation: (err as CodexTurnInactiveError).continuation })
      .catch((e: unknown) => e);
    expect(resumed).toBeInstanceOf(CodexProtocolError);
    expect((resumed as Error).message).toMatch(/events were dropped while nobody listened \(maxBufferedEvents 5\)/);
    expect(client.stats).toEqual(ZERO);
  });

  it('within the cap the turn resumes without a gap, and a turn that ended is freed', async () => {
    const { client } = fake({ ...opts, maxBufferedEvents: 1_000 });
    const err = await client.chatOnce('SILENT_THEN 500 20 done').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTurnInactiveError);
    await firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/completed')));
    const result = await client.chatOnce(undefined, { continuation: (err as CodexTurnInactiveError).continuation });
    expect(result.finalText).toBe('Echo: done');
    expect(client.stats).toEqual(ZERO);
  });

  it('cancel() of a suspended turn that ended returns what was unread and frees it', async () => {
    const { client } = fake({ ...opts, maxBufferedEvents: 1_000 });
    const err = await client.chatOnce('SILENT_THEN 500 3 done').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTurnInactiveError);
    await firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/completed')));
    const cancelled = await client.cancel((err as CodexTurnInactiveError).continuation);
    expect(cancelled.wasCompleted).toBe(true);
    expect(cancelled.steps.map((s) => s.text)).toEqual(['Echo: done']);
    expect(client.stats).toEqual(ZERO);
  });
});
