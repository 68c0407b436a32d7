/**
 * End-to-end against the REAL `codex app-server`: a turn aborted through `ChatOptions.signal`,
 * a turn consumed with `for await`, and a client closed by `await using`.
 */
import { filter, firstValueFrom } from 'rxjs';
import type { CodexClient } from '../../src/client';
import { CodexAbortError } from '../../src/errors';
import type { TurnEvent } from '../../src/models';
import type { ServerNotification } from '../../src/protocol/server-messages';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30_000);

let off: OfflineCodex;
let client: CodexClient;

beforeAll(async () => {
  off = await startOfflineCodex();
  client = off.client();
  await client.initialize();
});
afterAll(() => off?.dispose());

/** The first notification of `method` on `threadId` that `match` accepts. */
function next<M extends ServerNotification['method']>(
  method: M,
  threadId: string,
  match: (n: Extract<ServerNotification, { method: M }>) => boolean = () => true,
) {
  return firstValueFrom(
    client.notifications$.pipe(
      filter((n): n is Extract<ServerNotification, { method: M }> => n.method === method),
      filter((n) => (n.params as { threadId?: string }).threadId === threadId && match(n)),
    ),
  );
}

describe('an aborted turn', () => {
  it('rejects at once with CodexAbortError; the server ends the turn interrupted; the thread is idle and takes the next turn', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const ac = new AbortController();
    const order: string[] = [];
    const started = next('turn/started', thread.threadId);
    const inputSeen = next('item/completed', thread.threadId, (n) => n.params.item.type === 'userMessage');
    const completed = next('turn/completed', thread.threadId);
    void completed.then(() => order.push('turn/completed'));
    const hanging = thread.chatOnce('HANG', { signal: ac.signal }).catch((e: unknown) => (order.push('rejected'), e));

    const turnId = (await started).params.turn.id;
    await inputSeen; // mid-turn: the server runs it, the model hangs
    ac.abort('user pressed stop');
    // the next turn is asked for at once: it waits for the aborted turn to end, never joins it
    const after = thread.chatOnce('ECHO after the abort');

    const err = await hanging;
    expect(err).toBeInstanceOf(CodexAbortError);
    expect(err).toMatchObject({ name: 'CodexAbortError', method: 'turn', reason: 'user pressed stop', message: `turn ${turnId} aborted` });
    const done = await completed;
    expect(order).toEqual(['rejected', 'turn/completed']); // the chat did not wait for the server
    expect(done.params.turn).toMatchObject({ id: turnId, status: 'interrupted' });

    const result = await after;
    expect(result.finalText).toBe('Echo: after the abort');
    expect(result.turnId).not.toBe(turnId);
    const read = await thread.read({ includeTurns: false });
    expect(read.thread.status).toEqual({ type: 'idle' });
    expect(client.stats).toMatchObject({ turns: 0, waitingThreads: 0, pendingApprovals: 0 });
  });

  it('aborted before the server started it (on the `started` event): the held interrupt still ends it interrupted', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const ac = new AbortController();
    const completed = next('turn/completed', thread.threadId);
    const events: TurnEvent[] = [];
    let error: unknown;
    try {
      for await (const e of thread.chatEventsIterable('HANG', { signal: ac.signal })) {
        events.push(e);
        if (e.type === 'started') ac.abort();
      }
    } catch (e) {
      error = e;
    }
    // At once: the interrupt is still held for the server's turn/started; a turn/start sent now would join the turn.
    const after = thread.chatOnce('ECHO next');
    expect(events.map((e) => e.type)).toEqual(['started']);
    expect(error).toBeInstanceOf(CodexAbortError);
    expect((await completed).params.turn).toMatchObject({ id: events[0]!.turnId, status: 'interrupted' });
    const result = await after;
    expect(result.finalText).toBe('Echo: next');
    expect(result.turnId).not.toBe(events[0]!.turnId);
  });
});

describe('for await over a turn', () => {
  it('chatEventsIterable: started first, the streamed text, the answer as a step, completed last', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    let text = '';
    const types: string[] = [];
    for await (const e of thread.chatEventsIterable('STREAM 6 the answer arrives in six pieces')) {
      if (types[types.length - 1] !== e.type) types.push(e.type);
      if (e.type === 'delta' && e.itemType === 'agentMessage') text += e.delta;
      if (e.type === 'completed') expect(e.result.finalText).toBe('the answer arrives in six pieces');
    }
    expect(text).toBe('the answer arrives in six pieces');
    expect(types[0]).toBe('started');
    expect(types[types.length - 1]).toBe('completed');
    expect(types).toContain('delta');
    expect(types).toContain('step');

    const steps: string[] = [];
    for await (const step of thread.chatIterable('THINK in steps')) steps.push(`${step.stepType}: ${step.text ?? ''}`);
    expect(steps.slice(-2)).toEqual(['thinking: Thinking about: in steps', 'codex: in steps']);
  });

  it('break with interruptOnUnsubscribe interrupts the turn on the server; the thread takes the next turn', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const completed = next('turn/completed', thread.threadId);
    for await (const step of thread.chatIterable('HANG', { interruptOnUnsubscribe: true })) {
      if (step.itemType === 'userMessage') break;
    }
    expect((await completed).params.turn.status).toBe('interrupted');
    expect((await thread.chatOnce('ECHO again')).finalText).toBe('Echo: again');
  });
});

describe('break out of for await (no interruptOnUnsubscribe)', () => {
  it('the turn runs on; the next chat on the thread waits for its end and gets a turn of its own, never joins it', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const completed = next('turn/completed', thread.threadId);
    let abandoned: string | undefined;
    for await (const step of thread.chatIterable('SLOW 1000 the abandoned answer')) {
      if (step.itemType === 'userMessage') {
        abandoned = step.turnId;
        break;
      }
    }
    const result = await thread.chatOnce('ECHO next');
    expect((await completed).params.turn).toMatchObject({ id: abandoned, status: 'completed' });
    expect(result.turnId).not.toBe(abandoned);
    expect(result.finalText).toBe('Echo: next');
    // The server stored two turns, each with its own prompt and its own answer.
    const stored = (await client.request('thread/turns/list', {
      threadId: thread.threadId,
      sortDirection: 'asc',
      itemsView: 'full',
    })) as { data: Array<{ id: string; items: Array<{ type: string; text?: string; content?: Array<{ text?: string }> }> }> };
    const summary = stored.data.map((t) => ({
      id: t.id,
      prompts: t.items.filter((i) => i.type === 'userMessage').map((i) => i.content?.[0]?.text),
      answers: t.items.filter((i) => i.type === 'agentMessage').map((i) => i.text),
    }));
    expect(summary).toEqual([
      { id: abandoned, prompts: ['SLOW 1000 the abandoned answer'], answers: ['the abandoned answer'] },
      { id: result.turnId, prompts: ['ECHO next'], answers: ['Echo: next'] },
    ]);
  });
});

describe('await using', () => {
  it('closes the client, and with it the server process, when the scope ends', async () => {
    let outside: CodexClient | undefined;
    {
      await using scoped = off.client();
      outside = scoped;
      const result = await scoped.chatOnce('ECHO scoped', { threadConfig: { cwd: off.workspace } });
      expect(result.finalText).toBe('Echo: scoped');
    }
    await expect(outside.start()).rejects.toMatchObject({ name: 'CodexTransportError', code: 'closed' });
  });
});
