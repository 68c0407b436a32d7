/**
 * What FakeAppServer gained when the specs' child-process fake folded into it: `serve()` over a
 * byte stream, `sendRaw()`, `FakeTurn.remember()`, and the fault scenarios of `installFaults`,
 * here in memory (the reliability specs run them as a child process through the CLI).
 */
import { filter, firstValueFrom } from 'rxjs';
import { CodexProtocolError, CodexTransportError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { agentMessageItem, FakeAppServer, flushMicrotasks, installFaults, notification } from '../../src/testing';
import { fakeStdioOptionsFromArgs } from '../../src/testing/node';
import { closeAfterEach, fakeApp } from '../support/client-fixture';

const INIT = '{"id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"}}}';

describe('FakeAppServer.serve(): a byte stream instead of the in-memory transport', () => {
  it('writes what the server sends as NDJSON, in order, and answers the lines it is given', async () => {
    const server = new FakeAppServer();
    const written: Array<string | Uint8Array> = [];
    const receive = server.serve({ write: (chunk) => void written.push(chunk) });
    expect(receive(INIT)).toBe(true);
    expect(receive('{"method":"initialized"}')).toBe(true);
    server.notify('custom/one', { n: 1 });
    server.send('not json');
    await server.sendRaw('{"method":"custom/two",');
    expect(written).toEqual([
      expect.stringMatching(/^\{"id":1,"result":\{"userAgent":"t\/.*\}\n$/),
      expect.stringMatching(/^\{"method":"custom\/one","params":\{"n":1\},"emittedAtMs":\d+\}\n$/),
      'not json\n',
      '{"method":"custom/two",',
    ]);
    expect(server.initialized).toBe(true);
    expect(() => server.client()).toThrow(/one client per server/);
  });

  it('a line that is not JSON is refused (false) and not recorded', () => {
    const server = new FakeAppServer();
    const receive = server.serve({ write: () => undefined });
    expect(receive('hello there')).toBe(false);
    expect(server.requests).toEqual([]);
  });

  it('sendRaw waits for the wire to take the chunk (back-pressure)', async () => {
    const server = new FakeAppServer();
    let release!: () => void;
    server.serve({ write: () => new Promise<void>((r) => (release = r)) });
    let taken = false;
    const sent = server.sendRaw('x'.repeat(10)).then(() => (taken = true));
    await flushMicrotasks();
    expect(taken).toBe(false);
    release();
    await sent;
    expect(taken).toBe(true);
  });

  it('the peer ending the stream (transport.close) ends pending turns like a closed connection', async () => {
    const server = new FakeAppServer({ script: (turn) => turn.keepOpen() });
    const receive = server.serve({ write: () => undefined });
    receive(INIT);
    receive('{"id":2,"method":"thread/start","params":{}}');
    receive('{"id":3,"method":"turn/start","params":{"threadId":"thr-1","input":[{"type":"text","text":"hi"}]}}');
    await flushMicrotasks();
    expect(server.turns[0]!.active).toBe(true);
    let ended: unknown;
    server.turns[0]!.wait(60_000).catch((e: unknown) => (ended = e));
    await server.transport.close();
    await flushMicrotasks();
    expect(ended).toMatchObject({ name: 'FakeTurnEndedError', reason: 'closed' });
  });
});

describe('sendRaw() and remember()', () => {
  it('a frame cut inside a multi-byte character reaches the client whole', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const got = firstValueFrom(client.notifications$.pipe(filter((n) => (n.method as string) === 'custom/euro')));
    const bytes = new TextEncoder().encode(`${JSON.stringify(notification('custom/euro', { text: 'a € b' }))}\n`);
    const cut = bytes.indexOf(0xe2) + 1; // inside the € (e2 82 ac)
    await server.sendRaw(bytes.subarray(0, cut));
    await server.sendRaw(bytes.subarray(cut));
    expect((await got).params).toEqual({ text: 'a € b' });
  });

  it('a turn can store an item that thread/read shows without sending it', async () => {
    const item = agentMessageItem('kept', 'stored only');
    const { server, client } = fakeApp({ routineFrames: false, script: (turn) => turn.remember(item) });
    const thread = await client.startThread();
    await thread.chatOnce('x').catch(() => undefined);
    expect(server.thread(thread.threadId)!.turns[0]!.items).toEqual([item]);
    // no item notification carried it (a read of the stored turns may: that is the point)
    const notified = server.sent.filter((f) => typeof f === 'object' && String((f as { method?: unknown }).method).startsWith('item/'));
    expect(notified.some((f) => JSON.stringify(f).includes('"kept"'))).toBe(false);
  });
});

describe('installFaults', () => {
  function faulty(options: Parameters<typeof installFaults>[1] = {}, clientOptions = {}) {
    const server = installFaults(new FakeAppServer(), options);
    const client = closeAfterEach(server.client({ requestTimeoutMs: 10_000, ...clientOptions }));
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    return { server, client, diagnostics };
  }
  const stats = async (client: ReturnType<typeof faulty>['client']) =>
    (await client.request('fake/stats')) as { counts: Record<string, number>; received: Array<Record<string, unknown>> };

  it('ECHO strips its word; any other text is echoed whole', async () => {
    const { client } = faulty();
    expect((await client.chatOnce('ECHO hi there')).finalText).toBe('Echo: hi there');
    expect((await client.chatOnce('plain words')).finalText).toBe('Echo: plain words');
  });

  it('overload answers the first n requests of a method -32001; fake/stats counts every request', async () => {
    const { server, client } = faulty({ overload: { 'model/list': 2 } }, { retry: false });
    await expect(client.request('model/list', {})).rejects.toMatchObject({ code: -32001 });
    await expect(client.request('model/list', {})).rejects.toMatchObject({ code: -32001 });
    await expect(client.request('model/list', {})).resolves.toMatchObject({ data: [{ id: 'fake-model' }] });
    const { counts, received } = await stats(client);
    expect(counts['model/list']).toBe(3);
    expect(received).toEqual(server.transport.sent);
  });

  it('OVERLOADED answers turn/start itself -32001', async () => {
    const { server, client } = faulty({}, { retry: false });
    await expect(client.chatOnce('OVERLOADED now')).rejects.toMatchObject({ code: -32001 });
    expect(server.turns).toEqual([]);
  });

  it('fake/duplicate answers twice (the second is unmatched); fake/badError answers a malformed error', async () => {
    const { client, diagnostics } = faulty();
    await expect(client.request('fake/duplicate')).resolves.toEqual({ copy: 1 });
    await stats(client);
    expect(diagnostics.filter((d) => d.kind === 'unmatched-response').map((d) => d.detail)).toEqual([
      expect.objectContaining({ result: { copy: 2 } }),
    ]);
    await expect(client.request('fake/badError')).rejects.toBeInstanceOf(CodexProtocolError);
  });

  it('fake/huge is a response of about mb MB, sent in pieces', async () => {
    const { client } = faulty();
    const result = (await client.request('fake/huge', { mb: 2 })) as { blob: string };
    expect(result.blob).toHaveLength(2 * 1024 * 1024);
  });

  it('EXIT ends the in-memory transport like a crashed process (the default exit hook)', async () => {
    const { server, client } = faulty();
    const err = await client.chatOnce('EXIT 7').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(server.transport.failure?.message).toMatch(/7/);
  });

  it('EXIT and fake/exit call the given exit hook', async () => {
    const exits: number[] = [];
    const { client } = faulty({ hooks: { exit: (code) => void exits.push(code) } }, { requestTimeoutMs: 50 });
    await client.request('fake/exit', { code: 4 }).catch(() => undefined);
    expect(exits).toEqual([4]);
  });

  it('DUP_APPROVAL: two approvals share id 5; both answers come back as fake/answer', async () => {
    const { client } = faulty();
    client.setApprovalHandler((req) => (req.itemId === 'dup_a' ? 'accept' : 'decline'));
    const answers: unknown[] = [];
    client.notifications$
      .pipe(filter((n) => (n.method as string) === 'fake/answer'))
      .subscribe((n) => answers.push((n.params as unknown as { frame: unknown }).frame));
    expect((await client.chatOnce('DUP_APPROVAL')).finalText).toBe('Echo: DUP_APPROVAL');
    const decisions = (answers as Array<{ id: unknown; result: { decision: string } }>).map((a) => `${String(a.id)}:${a.result.decision}`);
    expect(decisions.sort()).toEqual(['5:accept', '5:decline']);
  });

  it('NO_COMPLETE_NO_ITEM: thread/read shows the stored message the client never got as an item', async () => {
    const { client } = faulty({}, { idleGraceMs: 50 });
    const result = await client.chatOnce('NO_COMPLETE_NO_ITEM only deltas');
    expect(result.finalText).toBe('Echo: only deltas');
    expect(result.assistantItemId).toBe('item_nc_turn-1');
  });
});

describe('fakeStdioOptionsFromArgs (the CLI arguments)', () => {
  it('reads key=value arguments, with FAKE_<KEY> from the environment as the fallback', () => {
    expect(fakeStdioOptionsFromArgs(['overload=model/list:2,turn/start:1', 'log=/tmp/x'])).toEqual({
      faults: { overload: { 'model/list': 2, 'turn/start': 1 } },
      log: '/tmp/x',
    });
    expect(fakeStdioOptionsFromArgs([], { FAKE_LOG: '/tmp/y', FAKE_OVERLOAD: 'a/b:1' })).toEqual({
      faults: { overload: { 'a/b': 1 } },
      log: '/tmp/y',
    });
    expect(fakeStdioOptionsFromArgs([])).toEqual({ faults: { overload: {} } });
  });
});
