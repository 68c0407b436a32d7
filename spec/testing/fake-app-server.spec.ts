import { lastValueFrom, Observable, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTurnInactiveError } from '../../src/errors';
import type { ConversationStep, TurnEvent } from '../../src/models';
import type { ClientOptions } from '../../src/options';
import { toSteps } from '../../src/operators';
import { PROTOCOL_SERVER_VERSION } from '../../src/protocol/methods';
import {
  agentMessageItem,
  FakeAppServer,
  FakeRpcError,
  type FakeAppServerOptions,
  flushMicrotasks,
  genericItem,
  itemCompleted,
  turnCompleted,
  turnStarted,
  userInputRequest,
} from '../../src/testing';
import { newScheduler, virtualClock } from '../support/marbles';

const clients: CodexClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A server and a client on it (closed after each test). */
function setup(options: FakeAppServerOptions = {}, clientOptions: ClientOptions = {}) {
  const server = new FakeAppServer(options);
  const client = server.client({ requestTimeoutMs: 10_000, ...clientOptions });
  clients.push(client);
  return { server, client };
}

const collect = <T>(o: Observable<T>) => lastValueFrom(o.pipe(toArray()));
/** What the server sent, one label per frame: a method, or `response <id>` / `error <id>`. */
const wire = (server: FakeAppServer) =>
  server.sent.map((f) => {
    const frame = f as { id?: unknown; method?: string; error?: unknown };
    return frame.method ?? `${frame.error ? 'error' : 'response'} ${String(frame.id)}`;
  });
const stepText = (s: ConversationStep) => [s.stepType, s.text];

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('FakeAppServer: handshake', () => {
  /** The raw wire: a started transport, what it received, and a way to send a frame. */
  async function rawWire(server: FakeAppServer) {
    const received: unknown[] = [];
    server.transport.messages$.subscribe((m) => received.push(m));
    await server.transport.start();
    return { received, send: (frame: object) => server.transport.send(JSON.stringify(frame)) };
  }

  it('answers initialize like the real server (userAgent with the client name and server version) and records initialized', async () => {
    const { server, client } = setup(
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
    const { client } = setup();
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
    const { client } = setup();
    const err = await caught(client.request('vendor/frobnicate', {}));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.code).toBe(-32600);
    expect(err.message).toContain('Invalid request: unknown variant `vendor/frobnicate`');
  });

  it('honours capabilities.optOutNotificationMethods', async () => {
    const { server, client } = setup();
    await client.initialize({ capabilities: { optOutNotificationMethods: ['thread/status/changed', 'thread/started'] } });
    const result = await client.chatOnce('hi');
    expect(result.finalText).toBe('Echo: hi');
    expect(wire(server)).not.toContain('thread/status/changed');
    expect(wire(server)).not.toContain('thread/started');
    expect(wire(server)).toContain('turn/completed');
  });
});

describe('FakeAppServer: scripted turns', () => {
  it('the default script echoes the text, with every frame the real server sends, in its order', async () => {
    const { server, client } = setup();
    const result = await client.chatOnce('hello');
    expect(result).toMatchObject({ threadId: 'thr-1', turnId: 'turn-1', finalText: 'Echo: hello', completionSource: 'item_completed' });
    expect(wire(server)).toEqual([
      'response 1', // initialize
      'response 2', // thread/start
      'thread/started',
      'response 3', // turn/start
      'thread/status/changed',
      'turn/started',
      'item/started', // the user's message
      'item/completed',
      'item/started', // the answer
      'item/agentMessage/delta',
      'item/completed',
      'thread/tokenUsage/updated',
      'thread/status/changed',
      'turn/completed',
    ]);
    const statuses = server.sent.filter((f) => (f as { method?: string }).method === 'thread/status/changed');
    expect(statuses.map((f) => (f as { params: { status: { type: string } } }).params.status.type)).toEqual(['active', 'idle']);
    expect(server.turns.map((t) => [t.threadId, t.turnId, t.text, t.status])).toEqual([['thr-1', 'turn-1', 'hello', 'completed']]);
  });

  it('a script makes reasoning, commands, file changes and messages: chat() gets the steps, chatEvents() the deltas', async () => {
    const script = (turn: import('../../src/testing').FakeTurn) => {
      turn.reasoning(['Reading the tests', 'Planning'], { id: 'r1' });
      turn.command('npm test', { id: 'c1', output: 'FAIL parser\n', exitCode: 1, deltas: ['FAIL ', 'parser\n'] });
      turn.fileChange([{ path: 'src/parser.ts', diff: '+fix' }], { id: 'f1' });
      turn.item(genericItem('webSearch', 'w1', { query: 'rxjs' }));
      turn.message(`Fixed: ${turn.text}`, { id: 'm1', deltas: ['Fixed', ': ', turn.text] });
    };
    const { client } = setup({ script, routineFrames: { userMessage: false } });
    const steps = await collect(client.chat('the parser'));
    expect(steps.map(stepText)).toEqual([
      ['thinking', 'Reading the tests\nPlanning'],
      ['exec', 'npm test'],
      ['file', null],
      ['webSearch', null],
      ['codex', 'Fixed: the parser'],
    ]);
    expect(steps[1]!.data).toMatchObject({ status: 'failed', exitCode: 1, aggregatedOutput: 'FAIL parser\n' });
    expect(steps[2]!.data).toMatchObject({ changes: [{ path: 'src/parser.ts', diff: '+fix' }], status: 'completed' });

    const events = await collect(client.chatEvents('the lexer'));
    const deltas = events.flatMap((e) => (e.type === 'delta' ? [[e.itemType, e.delta]] : []));
    expect(deltas).toEqual([
      ['reasoning', 'Reading the tests'],
      ['reasoning', 'Planning'],
      ['commandExecution', 'FAIL '],
      ['commandExecution', 'parser\n'],
      ['agentMessage', 'Fixed'],
      ['agentMessage', ': '],
      ['agentMessage', 'the lexer'],
    ]);
    expect(events[0]!.type).toBe('started');
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'Fixed: the lexer' } });
  });

  it('onNextTurn scripts one turn, onTurn the later ones; a thread runs its turns in order', async () => {
    const { server, client } = setup();
    server.onNextTurn((t) => t.message('first')).onNextTurn((t) => t.message('second'));
    const thread = await client.startThread();
    expect((await thread.chatOnce('a')).finalText).toBe('first');
    expect((await thread.chatOnce('b')).finalText).toBe('second');
    expect((await thread.chatOnce('c')).finalText).toBe('Echo: c');
    server.onTurn((t) => t.message(t.text.toUpperCase()));
    expect((await thread.chatOnce('d')).finalText).toBe('D');
    expect(server.turns.map((t) => [t.threadId, t.turnId])).toEqual([
      ['thr-1', 'turn-1'],
      ['thr-1', 'turn-2'],
      ['thr-1', 'turn-3'],
      ['thr-1', 'turn-4'],
    ]);
  });

  it('turn.fail() sends an error notification and a failed turn/completed: chatOnce rejects with its message', async () => {
    const { server, client } = setup({ script: (t) => t.fail('upstream said 400') });
    const err = await caught(client.chatOnce('go'));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.message).toBe('upstream said 400');
    expect(wire(server).slice(-4)).toEqual(['error', 'thread/tokenUsage/updated', 'thread/status/changed', 'turn/completed']);
    expect(server.turns[0]!.status).toBe('failed');
  });

  it('a script that throws fails its turn and is reported in server.errors', async () => {
    const { server, client } = setup({
      script: () => {
        throw new Error('bug in my script');
      },
    });
    const err = await caught(client.chatOnce('go'));
    expect(err.message).toBe('FakeAppServer: the turn script threw: bug in my script');
    expect(server.errors).toEqual([new Error('bug in my script')]);
  });

  it('turn.send() places frames exactly, before the turn/start response too', async () => {
    const { client } = setup({
      routineFrames: false,
      script: (t) => {
        const { threadId, turnId } = t;
        t.send(
          turnStarted({ threadId, turnId }),
          itemCompleted({ threadId, turnId, item: agentMessageItem('early', 'before the response') }),
        );
        t.respond();
        t.send(turnCompleted({ threadId, turnId }));
      },
    });
    const result = await client.chatOnce('x');
    expect(result.finalText).toBe('before the response');
    expect(result.rawEvents.map((e) => e.method)).toEqual(['turn/started', 'item/completed', 'turn/completed']);
  });

  it('frames of a turn replay as marble values (record once with the fake, then test operators in virtual time)', async () => {
    const { server, client } = setup({
      script: (t) => {
        t.reasoning('hmm', { id: 'r' });
        t.message('ok', { id: 'm' });
      },
    });
    await client.chatOnce('x');
    const items = server.sent.filter((f) => (f as { method?: string }).method === 'item/completed').slice(1); // without the user's message
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold('-a-b|', { a: items[0], b: items[1] }) as Observable<any>;
      expectObservable(frames.pipe(toSteps())).toBe('-a-b|', {
        a: expect.objectContaining({ stepType: 'thinking', text: 'hmm' }),
        b: expect.objectContaining({ stepType: 'codex', text: 'ok' }),
      });
    });
  });
});

describe('FakeAppServer: approvals and user input', () => {
  it('turn.approval() asks with id 0, resolves with the decision, then sends serverRequest/resolved', async () => {
    const decisions: unknown[] = [];
    const { server, client } = setup({
      script: async (turn) => {
        const decision = await turn.approval({ itemId: 'c1', command: 'rm -rf build', reason: 'clean the build' });
        decisions.push(decision);
        if (decision === 'decline') turn.command('rm -rf build', { id: 'c1', status: 'declined', exitCode: 1 });
        turn.message(`decision: ${String(decision)}`);
      },
    });
    client.setApprovalHandler((r) => (r.kind === 'command' && r.command === 'rm -rf build' ? 'decline' : 'accept'));
    const events = await collect(client.chatEvents('clean up'));
    expect(events.find((e) => e.type === 'approval')).toMatchObject({
      request: { kind: 'command', requestId: 0, itemId: 'c1', command: 'rm -rf build', reason: 'clean the build' },
    });
    expect(decisions).toEqual(['decline']);
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'decision: decline' } });
    expect(server.serverRequests).toEqual([
      expect.objectContaining({
        id: 0,
        method: 'item/commandExecution/requestApproval',
        answer: { id: 0, result: { decision: 'decline' } },
      }),
    ]);
    const after = wire(server).slice(wire(server).indexOf('item/commandExecution/requestApproval'));
    // waiting flag, the request, resolved once answered, back to plain active, then the items
    expect(after.slice(0, 3)).toEqual(['item/commandExecution/requestApproval', 'serverRequest/resolved', 'thread/status/changed']);
    expect(client.stats.pendingApprovals).toBe(0);
  });

  it('file change approvals and an accept-for-session decision reach the script', async () => {
    let seen: unknown;
    const { client } = setup({
      script: async (turn) => {
        seen = await turn.approval({ kind: 'fileChange', itemId: 'f1', reason: 'write outside the workspace', grantRoot: '/etc' });
      },
    });
    client.setApprovalHandler((r) => (r.kind === 'fileChange' ? 'acceptForSession' : 'decline'));
    await client.chatOnce('edit').catch(() => undefined); // no agent message: the result does not matter here
    expect(seen).toBe('acceptForSession');
  });

  it('turn.userInput() resolves with the answers by question id', async () => {
    let answers: unknown;
    const { server, client } = setup({
      script: async (turn) => {
        answers = await turn.userInput([{ id: 'q1', question: 'Proceed?' }]);
        turn.message('thanks');
      },
    });
    client.setUserInputHandler(() => ({ q1: ['yes'] }));
    await client.chatOnce('ask me');
    expect(answers).toEqual({ q1: ['yes'] });
    expect(server.serverRequests[0]!.answer).toEqual({ id: 0, result: { answers: { q1: { answers: ['yes'] } } } });
  });

  it('sendRequest() sends any server request, numbered from 0, and resolves with the answer as sent', async () => {
    const { server, client } = setup();
    await client.initialize();
    const unknown = await server.sendRequest('item/tool/call', { threadId: 't', turnId: 'u', callId: 'c', tool: 'x', arguments: {} });
    expect(unknown).toEqual({ id: 0, error: expect.objectContaining({ code: -32601 }) });
    client.setUserInputHandler(() => ({ q: ['a'] }));
    const built = await server.sendRequest((id) =>
      userInputRequest({ id, threadId: 't', turnId: 'u', itemId: 'i', questions: [{ id: 'q' }] }),
    );
    expect(built).toEqual({ id: 1, result: { answers: { q: { answers: ['a'] } } } });
  });
});

describe('FakeAppServer: interrupt and steer', () => {
  it('turn/interrupt ends a running turn as interrupted; its pending approval is dropped and the script stops', async () => {
    const after: string[] = [];
    const { server, client } = setup(
      {
        script: async (turn) => {
          turn.message('working');
          await turn.approval({ command: 'deploy' }); // never answered: the client is in manual mode
          after.push('continued');
        },
      },
      { approvalMode: 'manual' },
    );
    const steps: ConversationStep[] = [];
    const done = new Promise<unknown>((resolve) => client.chat('go').subscribe({ next: (s) => steps.push(s), error: resolve }));
    while (server.serverRequests.length === 0) await flushMicrotasks();
    await client.interruptTurn('turn-1', { threadId: 'thr-1' });
    const err = (await done) as CodexProtocolError;
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.data).toMatchObject({ id: 'turn-1', status: 'interrupted' });
    expect(steps.map(stepText)).toEqual([
      ['userMessage', null],
      ['codex', 'working'],
    ]);
    await flushMicrotasks();
    expect(after).toEqual([]);
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(wire(server).slice(-4)).toEqual(['response 4', 'serverRequest/resolved', 'thread/status/changed', 'turn/completed']);
    expect(server.errors).toEqual([]);
  });

  it('turn/interrupt without a running turn answers -32600 "no active turn to interrupt"', async () => {
    const { client } = setup();
    const { turnId, threadId } = await client.chatOnce('done already');
    const err = await caught(client.interruptTurn(turnId, { threadId }));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.code).toBe(-32600);
    expect(err.message).toContain('no active turn to interrupt');
  });

  it('turn/steer hands the input to the running script; a second turn/start joins the running turn', async () => {
    const { server, client } = setup({
      script: async (turn) => {
        turn.message('started');
        const more = await turn.nextSteer();
        const again = await turn.nextSteer();
        turn.message([more, again].map((i) => (i[0] as { text: string }).text).join(' + '));
      },
    });
    const result = client.chatOnce('first');
    while (!server.turns[0]?.active) await flushMicrotasks();
    await expect(
      client.steerTurn({ threadId: 'thr-1', expectedTurnId: 'turn-1', inputItems: [{ type: 'text', text: 'steered' }] }),
    ).resolves.toEqual({
      turnId: 'turn-1',
    });
    const joined = await client.request('turn/start', { threadId: 'thr-1', input: [{ type: 'text', text: 'joined', text_elements: [] }] });
    expect(joined.turn.id).toBe('turn-1');
    expect((await result).finalText).toBe('steered + joined');
    expect(server.turns).toHaveLength(1);
    const wrong = await caught(client.steerTurn({ threadId: 'thr-1', expectedTurnId: 'turn-1', inputItems: [] }));
    expect(wrong.message).toContain('no active turn to steer');
  });
});

describe('FakeAppServer: threads', () => {
  it('thread/read with includeTurns shows the turns it ran, with their items and status', async () => {
    const { client } = setup();
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
    const { client } = setup();
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
    const { server, client } = setup();
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

describe('FakeAppServer: method overrides', () => {
  it('handle() overrides a method; undefined falls back to the built-in; FakeRpcError answers with that error', async () => {
    let calls = 0;
    const { server, client } = setup();
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
    const { server, client } = setup();
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
});

describe('FakeAppServer: timing and faults', () => {
  it('sync delivery answers inside the client send', async () => {
    const { server, client } = setup({ delivery: 'sync' });
    await client.initialize();
    const reply = server.sendRequest('item/tool/call', { threadId: 't', turnId: 'u' });
    // answered at once, within sendRequest
    expect(server.serverRequests[0]!.answer).toMatchObject({ id: 0, error: { code: -32601 } });
    await reply;
  });

  it('script waits run in virtual time', async () => {
    const clock = virtualClock();
    const { client } = setup(
      {
        scheduler: clock.scheduler,
        routineFrames: { userMessage: false },
        script: async (turn) => {
          turn.message('first');
          await turn.wait(5_000);
          turn.message('second');
        },
      },
      { requestTimeoutMs: 60_000 },
    );
    const steps: Array<string | null> = [];
    let completed = false;
    client.chat('go').subscribe({ next: (s) => steps.push(s.text), complete: () => (completed = true) });
    await clock.settle();
    expect(steps).toEqual(['first']);
    await clock.advance(4_999);
    expect([steps, completed]).toEqual([['first'], false]);
    await clock.advance(1);
    expect([steps, completed]).toEqual([['first', 'second'], true]);
    expect(clock.now()).toBe(5_000);
  });

  it('a silent script times out the client in virtual time; the continuation gets the rest', async () => {
    const clock = virtualClock();
    const { client } = setup(
      {
        scheduler: clock.scheduler,
        routineFrames: { userMessage: false },
        script: async (turn) => {
          turn.message('first');
          await turn.wait(10_000);
          turn.message('late');
        },
      },
      { inactivityTimeoutMs: 3_000, requestTimeoutMs: 60_000 },
    );
    let error: unknown;
    client.chat('go').subscribe({ error: (e) => (error = e) });
    await clock.advance(3_000);
    expect(error).toBeInstanceOf(CodexTurnInactiveError);
    expect(clock.now()).toBe(3_000);
    const rest: Array<string | null> = [];
    let completed = false;
    client.chat(undefined, { continuation: (error as CodexTurnInactiveError).continuation, inactivityTimeoutMs: null }).subscribe({
      next: (s) => rest.push(s.text),
      complete: () => (completed = true),
    });
    await clock.advance(7_000);
    expect([rest, completed]).toEqual([['late'], true]);
  });

  it('complete({ sendTurnCompleted: false }): idle without turn/completed; the client recovers through thread/read', async () => {
    const { server, client } = setup(
      {
        script: (turn) => {
          turn.message('answer');
          turn.complete({ sendTurnCompleted: false });
        },
      },
      { idleGraceMs: 1 },
    );
    const events: TurnEvent[] = await collect(client.chatEvents('go'));
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'answer' } });
    expect(wire(server)).not.toContain('turn/completed');
    expect(server.requestsOf('thread/read').map((r) => r.params)).toEqual([{ threadId: 'thr-1', includeTurns: true }]);
  });

  it('keepOpen(): the turn runs on after the script until the test ends it', async () => {
    const { server, client } = setup({
      routineFrames: { userMessage: false },
      script: (turn) => {
        turn.message('partial');
        turn.keepOpen();
      },
    });
    const steps: Array<string | null> = [];
    const done = new Promise<void>((resolve) => client.chat('go').subscribe({ next: (s) => steps.push(s.text), complete: resolve }));
    while (steps.length === 0) await flushMicrotasks();
    expect(server.turns[0]!.status).toBe('inProgress');
    server.turns[0]!.message('rest');
    server.turns[0]!.complete();
    await done;
    expect(steps).toEqual(['partial', 'rest']);
  });
});
