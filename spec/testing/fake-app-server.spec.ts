import { CodexProtocolError } from '../../src/errors';
import { PROTOCOL_SERVER_VERSION } from '../../src/protocol/methods';
import { FakeAppServer, FakeRpcError, flushMicrotasks, userInputRequest } from '../../src/testing';
import { fakeApp } from '../support/client-fixture';
import { caught, wire } from '../support/fake-app';

describe('FakeAppServer: handshake', () => {
  /** The raw wire: a started transport, what it received, and a way to send a frame. */
  async function rawWire(server: FakeAppServer) {
    const received: unknown[] = [];
    server.transport.messages$.subscribe((m) => received.push(m));
    await server.transport.start();
    return { received, send: (frame: object) => server.transport.send(JSON.stringify(frame)) };
  }

  it('answers initialize like the real server (userAgent with the client name and server version) and records initialized', async () => {
    const { server, client } = fakeApp(
      { serverVersion: '9.8.7', codexHome: '/home/me/.codex' },
      { clientInfo: { name: 'my-app', version: '1.2.3' } },
    );
    const init = await client.initialize();
    expect(init.raw).toEqual({
      userAgent: 'my-app/9.8.7 (Linux 6.8.0; x86_64) unknown (my-app; 1.2.3)',
      codexHome: '/home/me/.codex',
      platformFamily: 'unix',
      platformOs: 'linux',
    });
    await flushMicrotasks();
    expect(server.initialized).toBe(true);
    expect(server.requests).toEqual([
      { id: expect.anything(), method: 'initialize', params: { clientInfo: { name: 'my-app', version: '1.2.3' } } },
    ]);
  });

  it('the default server version is the pinned protocol version', async () => {
    const { client } = fakeApp();
    const init = await client.initialize();
    expect((init.raw as { userAgent: string }).userAgent).toMatch(
      new RegExp(`^codex-rx/${PROTOCOL_SERVER_VERSION.replace(/\./g, '\\.')} \\(`),
    );
  });

  it('a request before initialize gets -32600 "Not initialized"; a second initialize gets "Already initialized"', async () => {
    const server = new FakeAppServer();
    const { received, send } = await rawWire(server);
    send({ id: 7, method: 'thread/start', params: {} });
    send({ id: 8, method: 'initialize', params: { clientInfo: { name: 'raw', version: '0' } } });
    send({ id: 9, method: 'initialize', params: { clientInfo: { name: 'raw', version: '0' } } });
    await flushMicrotasks();
    expect(received).toEqual([
      { id: 7, error: { code: -32600, message: 'Not initialized' } },
      { id: 8, result: expect.objectContaining({ userAgent: expect.stringMatching(/^raw\//) }) },
      { id: 9, error: { code: -32600, message: 'Already initialized' } },
    ]);
    // the shape of the real server: no "jsonrpc" key
    expect(received.every((f) => !('jsonrpc' in (f as object)))).toBe(true);
  });

  it('an unknown method gets -32600 "Invalid request: unknown variant"; the client sees a CodexProtocolError', async () => {
    const { client } = fakeApp();
    const err = await caught(client.request('vendor/frobnicate', {}));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.code).toBe(-32600);
    expect(err.message).toContain('Invalid request: unknown variant `vendor/frobnicate`');
  });

  it('honours capabilities.optOutNotificationMethods', async () => {
    const { server, client } = fakeApp();
    await client.initialize({ capabilities: { optOutNotificationMethods: ['thread/status/changed', 'thread/started'] } });
    const result = await client.chatOnce('hi');
    expect(result.finalText).toBe('Echo: hi');
    expect(wire(server)).not.toContain('thread/status/changed');
    expect(wire(server)).not.toContain('thread/started');
    expect(wire(server)).toContain('turn/completed');
  });
});

describe('FakeAppServer: threads', () => {
  it('thread/read with includeTurns shows the turns it ran, with their items and status', async () => {
    const { client } = fakeApp();
    const thread = await client.startThread({ cwd: '/work' });
    await thread.chatOnce('one');
    client.setApprovalHandler(() => 'decline');
    const read = await client.readThread(thread.threadId, { includeTurns: true });
    expect(read.thread).toMatchObject({ id: 'thr-1', cwd: '/work', preview: 'one', status: { type: 'idle' } });
    expect(read.thread.turns).toEqual([
      expect.objectContaining({
        id: 'turn-1',
        status: 'completed',
        items: [
          { type: 'userMessage', id: 'item-1', clientId: null, content: [{ type: 'text', text: 'one', text_elements: [] }] },
          expect.objectContaining({ type: 'agentMessage', id: 'item-2', text: 'Echo: one' }),
        ],
      }),
    ]);
    const bare = await client.readThread(thread.threadId, { includeTurns: false });
    expect(bare.thread.turns).toEqual([]);
  });

  it('thread/turns/list pages newest first, thread/list lists threads, fork copies turns, rollback drops them', async () => {
    const { client } = fakeApp();
    const a = await client.startThread();
    for (const text of ['1', '2', '3']) await a.chatOnce(text);
    const page = await client.request('thread/turns/list', { threadId: a.threadId, limit: 2 });
    expect(page.data.map((t) => t.id)).toEqual(['turn-3', 'turn-2']);
    expect(page.nextCursor).toBe('2');

    const fork = await client.forkThread(a.threadId);
    expect(fork.threadId).toBe('thr-2');
    const forked = await client.readThread(fork.threadId);
    expect(forked.thread.forkedFromId).toBe('thr-1');
    expect(forked.thread.turns.map((t) => t.id)).toEqual(['turn-1', 'turn-2', 'turn-3']);

    const list = await client.listThreads();
    expect(list.data.map((t) => t.id)).toEqual(['thr-2', 'thr-1']);

    await client.rollbackThread(a.threadId, { numTurns: 2 });
    expect((await client.readThread(a.threadId)).thread.turns.map((t) => t.id)).toEqual(['turn-1']);
  });

  it('a thread added on the server is not loaded until resumed; an unknown thread is an error', async () => {
    const { server, client } = fakeApp();
    server.addThread('thr-old');
    expect(server.thread('thr-old')!.status).toEqual({ type: 'notLoaded' });
    const result = await client.chatOnce('hi', { threadId: 'thr-old' });
    expect(result.threadId).toBe('thr-old');
    expect(server.requestsOf('thread/resume').map((r) => r.params)).toEqual([{ threadId: 'thr-old' }]);
    expect(server.thread('thr-old')!.status).toEqual({ type: 'idle' });
    const err = await caught(client.chatOnce('hi', { threadId: 'nope' }));
    expect(err.code).toBe(-32600);
    expect(err.message).toContain('thread not found: nope');
  });
});

describe('FakeAppServer: method overrides and server requests', () => {
  it('handle() overrides a method; undefined falls back to the built-in; FakeRpcError answers with that error', async () => {
    let calls = 0;
    const { server, client } = fakeApp();
    server.handle('thread/list', () => {
      if (++calls === 1) throw new FakeRpcError(-32001, 'Server overloaded; retry later.');
      return undefined;
    });
    server.handle('model/list', () => ({ data: [], nextCursor: null }));
    // the client retries an overloaded read, then gets the built-in answer
    await expect(client.listThreads()).resolves.toMatchObject({ data: [] });
    expect(calls).toBe(2);
    await expect(client.listModels()).resolves.toEqual({ data: [], nextCursor: null });
  });

  it('async handlers may answer out of order (correlated by id)', async () => {
    const { server, client } = fakeApp();
    server.handle('vendor/slow', async (_p, ctx) => {
      await ctx.wait(20);
      return 'slow';
    });
    server.handle('vendor/fast', () => 'fast');
    await client.initialize();
    const slow = client.request('vendor/slow');
    const fast = client.request('vendor/fast');
    await expect(Promise.all([slow, fast])).resolves.toEqual(['slow', 'fast']);
    const answers = server.sent.filter((f) => 'result' in (f as object)).map((f) => (f as { result: unknown }).result);
    expect(answers.slice(-2)).toEqual(['fast', 'slow']);
  });

  it('sendRequest() sends any server request, numbered from 0, and resolves with the answer as sent', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const unknown = await server.sendRequest('vendor/unknown', { threadId: 't', turnId: 'u' });
    expect(unknown).toEqual({ id: 0, error: expect.objectContaining({ code: -32601 }) });
    client.setUserInputHandler(() => ({ q: ['a'] }));
    const built = await server.sendRequest((id) =>
      userInputRequest({ id, threadId: 't', turnId: 'u', itemId: 'i', questions: [{ id: 'q' }] }),
    );
    expect(built).toEqual({ id: 1, result: { answers: { q: { answers: ['a'] } } } });
  });

  it('sync delivery answers inside the client send', async () => {
    const { server, client } = fakeApp({ delivery: 'sync' });
    await client.initialize();
    const reply = server.sendRequest('vendor/unknown', { threadId: 't', turnId: 'u' });
    // answered at once, within sendRequest
    expect(server.serverRequests[0]!.answer).toMatchObject({ id: 0, error: { code: -32601 } });
    await reply;
  });

  it('makes one client per server: it has one connection', () => {
    const server = new FakeAppServer();
    const client = server.client();
    expect(() => server.client()).toThrow(/one client per server/);
    return client.close();
  });
});
