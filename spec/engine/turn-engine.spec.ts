import { lastValueFrom, Observable, Subscription, take, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTransportError, CodexTurnInactiveError } from '../../src/errors';
import type { ChatContinuation, ConversationStep, TurnEvent } from '../../src/models';
import type { ClientOptions } from '../../src/options';
import type { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { FakeAppServer, FakeRpcError, type FakeTurn, type TurnScript } from '../../src/testing/fake-server';
import { virtualClock, type VirtualClock } from '../support/marbles';
import {
  agentMessageItem,
  commandExecutionItem,
  itemCompleted,
  reasoningItem,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
  userInputRequest,
  userMessageItem,
} from '../../src/testing/frames';
import { ZERO_STATS } from '../support/stats';

// ---- the fake app-server, with exactly the frames each spec scripts ------------------------------

interface FakeOptions {
  script?: TurnScript;
  readThread?: (params: { threadId: string }) => unknown;
  /** Answers `thread/turns/list` (default: the server's own, from the turns it ran). */
  listTurns?: (params: { threadId: string; cursor?: string | null }) => unknown;
  mode?: 'sync' | 'microtask';
  client?: ClientOptions;
}

const clients: CodexClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A plain turn that answers `Echo: <text>`: the user's message, one delta, the answer. */
const plainTurn: TurnScript = (t) => {
  t.open();
  t.completeItem(userMessageItem(`${t.turnId}-u`, t.text));
  t.message(`Echo: ${t.text}`, { id: `${t.turnId}-m` });
};

/** The fake server and a client on one virtual clock: no spec here waits on the wall clock. */
function fakeServer(opts: FakeOptions = {}) {
  const clock = virtualClock();
  // No routine frames (status changes, user message items, token usage): these specs count and
  // order exactly the frames each script sends.
  const server = new FakeAppServer({
    routineFrames: false,
    delivery: opts.mode,
    script: opts.script ?? plainTurn,
    scheduler: clock.scheduler,
  });
  if (opts.readThread) server.handle('thread/read', (params) => opts.readThread!(params) as never);
  if (opts.listTurns) server.handle('thread/turns/list', (params) => opts.listTurns!(params) as never);
  const client = server.client({ requestTimeoutMs: 10_000, ...opts.client });
  clients.push(client);
  return { server, transport: server.transport, client, clock };
}

const collect = <T>(o: Observable<T>) => lastValueFrom(o.pipe(toArray()));
const stepSummary = (s: ConversationStep) => [s.stepType, s.itemId, s.text];
const zeroStats = ZERO_STATS;

async function caught<T>(p: Promise<T>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

// ---- specs ---------------------------------------------------------------------------------------

describe('turn engine: no lost events', () => {
  /** The frames of the turn: the turn/start response first. */
  const frames = (t: FakeTurn): object[] => {
    const { threadId, turnId } = t;
    return [
      t.response,
      turnStarted({ threadId, turnId }),
      itemCompleted({ threadId, turnId, item: reasoningItem('r1', ['Thinking about: x']) }),
      itemCompleted({ threadId, turnId, item: agentMessageItem('m1', 'done') }),
      turnCompleted({ threadId, turnId }),
    ];
  };
  const script: TurnScript = (t) => t.send(...frames(t));
  const expected = [
    ['thinking', 'r1', 'Thinking about: x'],
    ['codex', 'm1', 'done'],
  ];

  it('frames sent in the same inbound chunk as the turn/start response are all delivered', async () => {
    const { client } = fakeServer({
      // One raw chunk: the response and the whole turn, newline-separated, parsed in one go.
      script: (t) => t.sendChunk(frames(t)),
    });
    const steps = await collect(client.chat('x'));
    expect(steps.map(stepSummary)).toEqual(expected);
    expect(steps.every((s) => s.threadId === 'thr-1' && s.turnId === 'turn-1')).toBe(true);
    expect(client.stats).toEqual(zeroStats);
  });

  it('frames delivered synchronously right after the response are all delivered (microtask and sync peers)', async () => {
    for (const mode of ['microtask', 'sync'] as const) {
      const { client } = fakeServer({ script, mode });
      const steps = await collect(client.chat('x'));
      expect(steps.map(stepSummary)).toEqual(expected);
      expect(client.stats).toEqual(zeroStats);
    }
  });

  it('frames that arrive BEFORE the turn/start response are held and delivered', async () => {
    const { client } = fakeServer({
      script: (t) => {
        const [resp, ...rest] = frames(t);
        // started and the reasoning item come first, then the response, then the rest
        t.send(rest[0]!, rest[1]!, resp!, rest[2]!, rest[3]!);
      },
    });
    const steps = await collect(client.chat('x'));
    expect(steps.map(stepSummary)).toEqual(expected);
  });

  it('frames of other threads arriving while a turn/start is in flight are not swallowed', async () => {
    const { client, transport } = fakeServer({
      script: (t) =>
        t.send(itemCompleted({ threadId: 'elsewhere', turnId: 'foreign', item: agentMessageItem('f', 'not mine') }), ...frames(t)),
    });
    const notes: string[] = [];
    client.notifications$.subscribe((n) => notes.push(n.method));
    const steps = await collect(client.chat('x'));
    expect(steps.map(stepSummary)).toEqual(expected);
    expect(notes[0]).toBe('item/completed');
    expect(transport.sentWithMethod('turn/start')).toHaveLength(1);
  });

  it('a terminal frame before the start response still ends the turn with all its steps', async () => {
    const { client } = fakeServer({
      script: (t) => {
        const [resp, ...rest] = frames(t);
        t.send(...rest, resp!);
      },
    });
    const steps = await collect(client.chat('x'));
    expect(steps.map(stepSummary)).toEqual(expected);
    const once = await client.chatOnce('y');
    expect(once.finalText).toBe('done');
    expect(once.turnId).toBe('turn-2');
    expect(client.stats).toEqual(zeroStats);
  });

  it('a duplicate item/completed yields one step', async () => {
    const { client } = fakeServer({
      script: (t) => {
        const { threadId, turnId } = t;
        const item = itemCompleted({ threadId, turnId, item: commandExecutionItem('c1', 'ls') });
        t.send(
          t.response,
          turnStarted({ threadId, turnId }),
          item,
          item,
          itemCompleted({ threadId, turnId, item: agentMessageItem('m1', 'ok') }),
          item,
          turnCompleted({ threadId, turnId }),
        );
      },
    });
    const steps = await collect(client.chat('x'));
    expect(steps.map(stepSummary)).toEqual([
      ['exec', 'c1', 'ls'],
      ['codex', 'm1', 'ok'],
    ]);
    const events = await collect(client.chatEvents('x'));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(2);
  });
});

describe('turn engine: chatEvents', () => {
  it('orders events: started first, deltas with itemId/itemType, steps, completed last with the result', async () => {
    const { client } = fakeServer({
      script: (t) => {
        const thinking = reasoningItem('r1', []);
        t.startItem(thinking);
        t.delta(thinking, 'Think');
        t.delta(thinking, 'ing');
        t.completeItem(reasoningItem('r1', ['Thinking']));
        t.message('Hello', { id: 'm1', deltas: ['Hel', 'lo'] });
        t.usage({ totalTokens: 5 });
      },
    });
    const events = await collect(client.chatEvents('hi'));
    const ids = { threadId: 'thr-1', turnId: 'turn-1' };
    const shape = (e: TurnEvent) =>
      e.type === 'delta' ? [e.type, e.itemId, e.itemType, e.delta] : e.type === 'step' ? [e.type, e.step.stepType, e.step.text] : [e.type];
    expect(events.map(shape)).toEqual([
      ['started'],
      ['delta', 'r1', 'reasoning', 'Think'],
      ['delta', 'r1', 'reasoning', 'ing'],
      ['step', 'thinking', 'Thinking'],
      ['delta', 'm1', 'agentMessage', 'Hel'],
      ['delta', 'm1', 'agentMessage', 'lo'],
      ['step', 'codex', 'Hello'],
      ['usage'],
      ['completed'],
    ]);
    for (const e of events) expect(e).toMatchObject(ids);
    const last = events[events.length - 1]!;
    if (last.type !== 'completed') throw new Error('last event is not completed');
    expect(last.result).toMatchObject({ ...ids, finalText: 'Hello', assistantItemId: 'm1', completionSource: 'item_completed' });
    expect(last.result.usage?.total.totalTokens).toBe(5);
    // deltas are not retained in rawEvents; everything else is, in order
    expect(last.result.rawEvents.map((e) => e.method)).toEqual([
      'turn/started',
      'item/started',
      'item/completed',
      'item/started',
      'item/completed',
      'thread/tokenUsage/updated',
      'turn/completed',
    ]);
  });
});

describe('turn engine: continuation after inactivity', () => {
  /** A turn that starts, completes one item, then goes silent (the test feeds the rest). */
  const silentAfterOne: TurnScript = (t) => {
    t.completeItem(agentMessageItem('a', 'first'));
    t.keepOpen();
  };

  /** Subscribes, collecting values until the stream errors; resolves with both. */
  function runUntilError<T>(o: Observable<T>): Promise<{ values: T[]; error: unknown; completed: boolean }> {
    return new Promise((resolve) => {
      const values: T[] = [];
      o.subscribe({
        next: (v) => values.push(v),
        error: (error) => resolve({ values, error, completed: false }),
        complete: () => resolve({ values, error: null, completed: true }),
      });
    });
  }

  it('resumes with exactly the missing steps: no duplicate, no gap, across two timeouts', async () => {
    const { client, transport, clock } = fakeServer({ script: silentAfterOne, client: { inactivityTimeoutMs: 50 } });
    const item = (id: string, text: string) => itemCompleted({ threadId: 'thr-1', turnId: 'turn-1', item: agentMessageItem(id, text) });

    const running = runUntilError(client.chat('go'));
    await clock.advance(49);
    expect(client.stats.turns).toBe(1);
    await clock.advance(1);
    const first = await running;
    expect(first.values.map((s) => s.itemId)).toEqual(['a']);
    expect(first.error).toBeInstanceOf(CodexTurnInactiveError);
    const e1 = first.error as CodexTurnInactiveError;
    expect(e1.idleMs).toBe(50);
    // cursor = events handed out so far: turn/started and the item
    expect(e1.continuation).toEqual({ threadId: 'thr-1', turnId: 'turn-1', cursor: 2, mode: 'stream' });
    expect(client.stats.turns).toBe(1); // still listening and buffering

    // arrives while nobody listens, plus a duplicate of what was already read
    transport.receive(item('b', 'second'));
    transport.receive(item('a', 'first'));

    const resumed = runUntilError(client.chat(undefined, { continuation: e1.continuation }));
    await clock.advance(50);
    const second = await resumed;
    expect(second.values.map((s) => [s.itemId, s.text])).toEqual([['b', 'second']]);
    expect(second.error).toBeInstanceOf(CodexTurnInactiveError);
    const c2 = (second.error as CodexTurnInactiveError).continuation;
    expect(c2.cursor).toBe(4);

    // the old continuation's events are gone: resuming from it would replay, so it is refused,
    // and so is a cursor from the future; neither costs the turn
    await expect(collect(client.chat(undefined, { continuation: e1.continuation }))).rejects.toThrow(TypeError);
    await expect(collect(client.chat(undefined, { continuation: e1.continuation }))).rejects.toThrow(/cursor 2 is outside/);
    await expect(collect(client.chat(undefined, { continuation: { ...c2, cursor: 9 } }))).rejects.toThrow(/cursor 9 is outside/);
    expect(client.stats.turns).toBe(1);

    transport.receive(item('c', 'third'));
    transport.receive(turnCompleted({ threadId: 'thr-1', turnId: 'turn-1' }));
    const third = await runUntilError(client.chat(undefined, { continuation: c2 }));
    expect(third.error).toBeNull();
    expect(third.completed).toBe(true);
    expect(third.values.map((s) => [s.itemId, s.text])).toEqual([['c', 'third']]);
    expect(client.stats).toEqual(zeroStats);
    // the ended turn is forgotten: resuming it is a caller mistake
    await expect(collect(client.chat(undefined, { continuation: c2 }))).rejects.toThrow(TypeError);
    await expect(collect(client.chat(undefined, { continuation: c2 }))).rejects.toThrow(/unknown turn turn-1/);
  });

  it('chatOnce resumes a once-continuation and returns the final text; modes cannot be mixed', async () => {
    const { client, transport, clock } = fakeServer({ script: silentAfterOne, client: { inactivityTimeoutMs: 50 } });
    const once = caught(client.chatOnce('go'));
    await clock.advance(50);
    const err = (await once) as CodexTurnInactiveError;
    expect(err).toBeInstanceOf(CodexTurnInactiveError);
    expect(err.continuation).toMatchObject({ mode: 'once', cursor: 2 });
    await expect(collect(client.chat(undefined, { continuation: err.continuation }))).rejects.toThrow(TypeError);
    await expect(collect(client.chat(undefined, { continuation: err.continuation }))).rejects.toThrow(/mode 'once'/);
    transport.receive(itemCompleted({ threadId: 'thr-1', turnId: 'turn-1', item: agentMessageItem('z', 'final answer') }));
    transport.receive(turnCompleted({ threadId: 'thr-1', turnId: 'turn-1' }));
    const result = await client.chatOnce(undefined, { continuation: err.continuation });
    expect(result).toMatchObject({ finalText: 'final answer', assistantItemId: 'z', completionSource: 'item_completed' });
    expect(client.stats).toEqual(zeroStats);
  });

  it('a continuation cannot be combined with text or thread options', () => {
    const { client } = fakeServer();
    const c: ChatContinuation = { threadId: 't', turnId: 'u', cursor: 0, mode: 'stream' };
    expect(() => client.chat('text', { continuation: c })).toThrow(TypeError);
    expect(() => client.chat(undefined, { continuation: c, threadId: 't' })).toThrow(/threadId/);
    expect(() => client.chat()).toThrow(/text is required/);
  });

  it('buffer cap: more events than maxBufferedEvents while detached makes resuming fail', async () => {
    const { client, transport, clock } = fakeServer({
      script: silentAfterOne,
      client: { inactivityTimeoutMs: 50, maxBufferedEvents: 3 },
    });
    const running = runUntilError(client.chat('go'));
    await clock.advance(50);
    const first = await running;
    const cont = (first.error as CodexTurnInactiveError).continuation;
    for (let i = 0; i < 5; i++) {
      transport.receive(itemCompleted({ threadId: 'thr-1', turnId: 'turn-1', item: agentMessageItem(`x${i}`, `t${i}`) }));
    }
    const err = await caught(collect(client.chat(undefined, { continuation: cont })));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/maxBufferedEvents 3/);
    expect((err as Error).message).toMatch(/2 events were dropped/);
    // no continuation can ever close that gap: the turn is freed
    expect(client.stats.turns).toBe(0);
  });
});

describe('turn engine: unsubscribe, failures, fallbacks', () => {
  const openTurn: TurnScript = (t) => {
    t.completeItem(agentMessageItem('a', 'partial'));
    t.keepOpen();
  };

  async function subscribeUntilFirstStep(o: Observable<ConversationStep>, clock: VirtualClock) {
    const steps: ConversationStep[] = [];
    const errors: unknown[] = [];
    const sub: Subscription = o.subscribe({ next: (s) => steps.push(s), error: (e) => errors.push(e) });
    await clock.settle();
    expect(steps).toHaveLength(1);
    return { sub, steps, errors };
  }

  it('unsubscribing mid-turn frees the turn at once and sends nothing by default; the thread is held until the turn ends', async () => {
    const { client, transport, clock } = fakeServer({ script: openTurn });
    const { sub } = await subscribeUntilFirstStep(client.chat('go'), clock);
    expect(client.stats.turns).toBe(1);
    sub.unsubscribe();
    // A turn/start on the thread now would join the abandoned turn.
    expect(client.stats).toEqual({ ...zeroStats, busyThreads: 1 });
    // later frames of the abandoned turn go nowhere and break nothing
    transport.receive(itemCompleted({ threadId: 'thr-1', turnId: 'turn-1', item: agentMessageItem('b', 'late') }));
    transport.receive(turnCompleted({ threadId: 'thr-1', turnId: 'turn-1' }));
    await clock.settle();
    expect(transport.sentWithMethod('turn/interrupt')).toEqual([]);
    expect(client.stats).toEqual(zeroStats);
  });

  it('with interruptOnUnsubscribe a turn/interrupt goes on the wire', async () => {
    const { client, transport, clock } = fakeServer({ script: openTurn });
    const { sub } = await subscribeUntilFirstStep(client.chat('go', { interruptOnUnsubscribe: true }), clock);
    sub.unsubscribe();
    expect(client.stats.turns).toBe(0);
    expect(transport.sentWithMethod('turn/interrupt')).toEqual([
      expect.objectContaining({ method: 'turn/interrupt', params: { threadId: 'thr-1', turnId: 'turn-1' } }),
    ]);
    await clock.settle();
    expect(client.stats).toEqual(zeroStats);
  });

  it('a failed turn rejects chatOnce with CodexProtocolError carrying the turn error message', async () => {
    const { client } = fakeServer({
      script: (t) => t.fail('upstream said 400'),
    });
    const err = await caught(client.chatOnce('go'));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as CodexProtocolError).message).toBe('upstream said 400');
    expect((err as CodexProtocolError).data).toMatchObject({ id: 'turn-1', status: 'failed', error: { message: 'upstream said 400' } });
    expect(client.stats).toEqual(zeroStats);
  });

  it('chatOnce without an agentMessage item falls back to the stored turn, paging thread/turns/list (no thread/read)', async () => {
    const page = (turns: object[], nextCursor: string | null) => ({ data: turns, nextCursor, backwardsCursor: null });
    const { client, transport } = fakeServer({
      script: (t) => t.completeItem(reasoningItem('r', ['hmm'])),
      listTurns: ({ cursor }) =>
        cursor === 'page-2'
          ? page([turnObject('turn-1', { items: [userMessageItem('u', 'go'), agentMessageItem('m9', 'From the list')] })], null)
          : page([turnObject('turn-2', { items: [agentMessageItem('new', 'a later turn')] })], 'page-2'),
    });
    const result = await client.chatOnce('go');
    expect(result).toMatchObject({
      threadId: 'thr-1',
      turnId: 'turn-1',
      finalText: 'From the list',
      assistantItemId: 'm9',
      completionSource: 'thread_read_fallback',
    });
    expect(transport.sentWithMethod('thread/turns/list').map((f) => (f as { params?: unknown }).params)).toEqual([
      { threadId: 'thr-1', sortDirection: 'desc', limit: 10, itemsView: 'summary' },
      { threadId: 'thr-1', sortDirection: 'desc', limit: 10, itemsView: 'summary', cursor: 'page-2' },
    ]);
    expect(transport.sentWithMethod('thread/read')).toEqual([]);
    expect(client.stats).toEqual(zeroStats);
  });

  it('chatOnce on a server without thread/turns/list falls back to thread/read', async () => {
    const { client, transport } = fakeServer({
      script: (t) => t.completeItem(reasoningItem('r', ['hmm'])),
      listTurns: () => {
        throw new FakeRpcError(-32600, 'Invalid request: unknown variant `thread/turns/list`, expected one of `initialize`');
      },
      readThread: ({ threadId }) => ({
        thread: threadObject(threadId, {
          turns: [
            turnObject('turn-0', { items: [agentMessageItem('old', 'an older turn')] }),
            turnObject('turn-1', {
              items: [userMessageItem('u', 'go'), agentMessageItem('m9', 'From the read'), reasoningItem('r', ['hmm'])],
            }),
          ],
        }),
      }),
    });
    const result = await client.chatOnce('go');
    expect(result).toMatchObject({
      threadId: 'thr-1',
      turnId: 'turn-1',
      finalText: 'From the read',
      assistantItemId: 'm9',
      completionSource: 'thread_read_fallback',
    });
    expect(transport.sentWithMethod('thread/read')).toEqual([
      expect.objectContaining({ params: { threadId: 'thr-1', includeTurns: true } }),
    ]);
    expect(client.stats).toEqual(zeroStats);
  });

  it('chatOnce rejects when neither the turn nor its stored copy has an assistant message', async () => {
    const { client, transport } = fakeServer({
      // the response and turn/completed, nothing else (not even turn/started)
      script: (t) => t.send(t.response, turnCompleted({ threadId: t.threadId, turnId: t.turnId })),
      listTurns: () => ({ data: [turnObject('turn-1', { items: [userMessageItem('u', 'go')] })], nextCursor: null, backwardsCursor: null }),
    });
    const err = await caught(client.chatOnce('go'));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/without an assistant message/);
    expect(transport.sentWithMethod('thread/turns/list')).toHaveLength(1);
    expect(client.stats).toEqual(zeroStats);
  });

  it('a transport failure mid-turn errors the chat with CodexTransportError and frees everything', async () => {
    const { client, transport, clock } = fakeServer({ script: openTurn });
    const { steps, errors } = await subscribeUntilFirstStep(client.chat('go'), clock);
    transport.fail(new Error('wire cut'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CodexTransportError);
    expect((errors[0] as Error).message).toMatch(/wire cut/);
    expect(steps.map((s) => s.text)).toEqual(['partial']);
    expect(client.stats).toEqual(zeroStats);
    await expect(client.chatOnce('again')).rejects.toBeInstanceOf(CodexTransportError);
  });
});

describe('turn engine: params on the wire', () => {
  it('ThreadConfig and TurnOverrides: omitted keys absent, explicit nulls sent as null', async () => {
    const { client, server } = fakeServer();
    await client.chatOnce('hello', {
      threadConfig: { model: 'gpt-x', approvalPolicy: null, cwd: '/w' },
      turnOverrides: { effort: 'high', summary: null },
      user: 'u1',
    });
    const [threadStart] = server.requestsOf('thread/start');
    expect(threadStart!.params).toEqual({ model: 'gpt-x', approvalPolicy: null, cwd: '/w' });
    const [turnStart] = server.requestsOf('turn/start');
    expect(turnStart!.params).toEqual({
      threadId: 'thr-1',
      input: [{ type: 'text', text: 'hello', text_elements: [] }],
      // The evidence of which turn it made, should its answer be lost with a link (see TurnStarter).
      clientUserMessageId: expect.stringMatching(/^codex-rx-.+-1$/),
      effort: 'high',
      summary: null,
      user: 'u1',
    });
    expect(turnStart!.params).not.toHaveProperty('model');
    expect(turnStart!.params).not.toHaveProperty('metadata');
  });

  it('a known thread gets no thread/resume before turn/start; an unknown threadId gets one', async () => {
    const { client, server } = fakeServer();
    server.addThread('thr-from-elsewhere');
    const handle = await client.startThread({ cwd: '/w' });
    await handle.chatOnce('one');
    await client.chatOnce('two', { threadId: handle.threadId });
    const methods = () => server.requests.map((r) => r.method);
    expect(methods()).toEqual(['initialize', 'thread/start', 'turn/start', 'turn/start']);

    await client.chatOnce('three', { threadId: 'thr-from-elsewhere' });
    expect(methods().slice(4)).toEqual(['thread/resume', 'turn/start']);
    expect(server.requestsOf('thread/resume')[0]!.params).toEqual({ threadId: 'thr-from-elsewhere' });
    expect(server.requestsOf('turn/start')[2]!.params).toMatchObject({ threadId: 'thr-from-elsewhere' });
  });
});

describe('turn engine: server requests', () => {
  const answersTo = (transport: InMemoryTransport, id: number | string) =>
    transport.sent.filter((f) => f.id === id && f.method === undefined);

  it('a server request nothing handles (id 0) gets its default answer at once', async () => {
    // sync delivery: the request reaches the client inside sendRequest(), and so does its answer
    const { client, server, transport } = fakeServer({ mode: 'sync' });
    await client.start();
    const answer = server.sendRequest('item/tool/call', { threadId: 't', turnId: 'u', callId: 'c', tool: 'x', arguments: {} });
    expect(answersTo(transport, 0)).toEqual([
      { id: 0, result: { contentItems: [{ type: 'inputText', text: "no client-side tool 'x' on this thread" }], success: false } },
    ]);
    await expect(answer).resolves.toEqual(answersTo(transport, 0)[0]);
  });

  it('requestUserInput without a handler gets an error reply; with setUserInputHandler, the answers', async () => {
    const { client, server, transport, clock } = fakeServer({ mode: 'sync' });
    await client.start();
    // the server's request ids count from 0
    const ask = () =>
      void server.sendRequest((id) =>
        userInputRequest({ id, threadId: 't', turnId: 'u', itemId: 'i', questions: [{ id: 'q1', question: 'Proceed?' }] }),
      );
    ask();
    expect(answersTo(transport, 0)).toEqual([
      { id: 0, error: expect.objectContaining({ code: expect.any(Number), message: expect.any(String) }) },
    ]);

    const seen: unknown[] = [];
    client.setUserInputHandler((r) => {
      seen.push(r);
      return { q1: ['yes'] };
    });
    ask();
    await clock.settle();
    expect(answersTo(transport, 1)).toEqual([{ id: 1, result: { answers: { q1: { answers: ['yes'] } } } }]);
    expect(seen).toEqual([
      expect.objectContaining({
        requestId: 1,
        threadId: 't',
        turnId: 'u',
        itemId: 'i',
        questions: [expect.objectContaining({ id: 'q1' })],
      }),
    ]);
  });

  it('approvals of a running turn are answered by the handler and appear as chatEvents approval events', async () => {
    const { client, transport, clock } = fakeServer({
      script: async (t) => {
        await t.approval({ itemId: 'c1', reason: 'needs it', command: 'touch x' }); // the server's first request: id 0
        t.completeItem(agentMessageItem('m', 'ok'));
      },
    });
    client.setApprovalHandler((r) => (r.kind === 'command' && r.command === 'touch x' ? 'acceptForSession' : 'decline'));
    const events = await collect(client.chatEvents('go'));
    const approval = events.find((e) => e.type === 'approval');
    expect(approval).toMatchObject({ type: 'approval', request: { kind: 'command', requestId: 0, itemId: 'c1', reason: 'needs it' } });
    await clock.settle();
    expect(answersTo(transport, 0)).toEqual([{ id: 0, result: { decision: 'acceptForSession' } }]);
    expect(client.stats).toEqual(zeroStats);
  });
});

describe('turn engine: manual approvals', () => {
  it('the request of a chatEvents approval event answers the pending approval (it is a copy of the recorded one)', async () => {
    const decisions: unknown[] = [];
    const { client } = fakeServer({
      client: { approvalMode: 'manual' },
      script: async (t) => {
        decisions.push(await t.approval({ itemId: 'c1', command: 'make' }));
        t.message('ok', { id: 'm' });
      },
    });
    const events: TurnEvent[] = [];
    const answers: Array<Promise<void>> = [];
    await new Promise<void>((resolve, reject) =>
      client.chatEvents('go').subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'approval') answers.push(client.approveApproval(e.request));
        },
        error: reject,
        complete: () => resolve(),
      }),
    );
    await expect(Promise.all(answers)).resolves.toEqual([undefined]);
    expect(decisions).toEqual(['accept']);
    expect(events.map((e) => e.type)).toEqual(['started', 'approval', 'delta', 'step', 'completed']);
    expect(client.stats).toEqual(zeroStats);
  });
});

describe('turn engine: leaving during the first event', () => {
  it('take(1) of the started event leaves no timer behind (the teardown ran before the inner subscription was known)', async () => {
    const { client, clock } = fakeServer({ script: (t) => t.keepOpen() });
    const [first] = await lastValueFrom(client.chatEvents('go').pipe(take(1), toArray()));
    expect(first!.type).toBe('started');
    await clock.settle();
    // Nothing scheduled: no inactivity timer of the turn left behind.
    expect(clock.scheduler.actions).toHaveLength(0);
    expect(client.stats).toMatchObject({ turns: 0 });
  });
});
