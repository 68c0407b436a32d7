/**
 * One turn of this client per thread at a time (ThreadQueue): the server joins a second turn/start
 * on a thread whose turn runs into that turn. A turn that timed out still runs on the server, so
 * it keeps its thread until it ends there (or is cancelled); a chat resumed from its continuation
 * holds it the same way. A chat that waited for its thread while the server was restarted opens
 * the thread on the new server before its turn/start.
 */
import { CodexProtocolError, CodexTurnInactiveError } from '../../src/errors';
import type { TurnScript } from '../../src/testing/fake-server';
import {
  agentMessageItem,
  errorResponse,
  itemCompleted,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
} from '../../src/testing/frames';
import { CodexClient as Client } from '../../src/client';
import { LinkedTransport } from '../support/linked-transport';
import { ZERO_STATS } from '../support/stats';
import { closeAfterEach, hello, virtualFakeApp } from '../support/client-fixture';
import { flushMicrotasks } from '../../src/testing/virtual-time';

function setup(script: TurnScript) {
  const { clock, server, client } = virtualFakeApp({ script }, { inactivityTimeoutMs: 1_000 });
  return { clock, server, client };
}

/** The first turn answers after 5 s of silence; later turns at once. */
const slowFirst: TurnScript = async (t) => {
  if (t.turnId === 'turn-1') {
    t.message('partial', { id: 'm0' });
    await t.wait(5_000);
    t.message('the late answer', { id: 'm1' });
  } else {
    t.message(`answer of ${t.turnId}`, { id: `m-${t.turnId}` });
  }
};

describe('a turn that timed out keeps its thread until it ends on the server', () => {
  it('a new chat on the thread waits, then gets a turn of its own; the timed-out turn still resumes whole', async () => {
    const { clock, server, client } = setup(slowFirst);
    const thread = await client.startThread();
    const first = thread.chatOnce('first').catch((e: unknown) => e);
    await clock.advance(1_000);
    const { continuation } = (await first) as CodexTurnInactiveError;
    expect(client.stats).toMatchObject({ turns: 1, busyThreads: 1 });

    let second: string | undefined;
    void thread.chatOnce('second').then((r) => (second = `${r.turnId}: ${r.finalText}`));
    await clock.advance(3_000);
    // Still running on the server: no second turn/start yet (it would join turn-1).
    expect(server.requestsOf('turn/start')).toHaveLength(1);
    expect(second).toBeUndefined();

    await clock.advance(1_000); // turn-1 ends on the server
    await clock.settle();
    expect(server.requestsOf('turn/start')).toHaveLength(2);
    expect(second).toBe('turn-2: answer of turn-2');
    const resumed = await client.chatOnce(undefined, { continuation });
    expect(resumed).toMatchObject({ turnId: 'turn-1', finalText: 'the late answer' });
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('a chat resumed from the continuation holds the thread too: a new chat waits for it', async () => {
    const { clock, server, client } = setup(slowFirst);
    const thread = await client.startThread();
    const first = thread.chatOnce('first').catch((e: unknown) => e);
    await clock.advance(1_000);
    const { continuation } = (await first) as CodexTurnInactiveError;
    const resumed = client.chatOnce(undefined, { continuation, inactivityTimeoutMs: null });
    let second: string | undefined;
    void thread.chatOnce('second').then((r) => (second = `${r.turnId}: ${r.finalText}`));
    await clock.advance(3_000);
    expect(server.requestsOf('turn/start')).toHaveLength(1);
    await clock.advance(1_000);
    await expect(resumed).resolves.toMatchObject({ turnId: 'turn-1', finalText: 'the late answer' });
    await clock.settle();
    expect(second).toBe('turn-2: answer of turn-2');
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('cancelling the timed-out turn frees its thread', async () => {
    const { clock, server, client } = setup(slowFirst);
    const thread = await client.startThread();
    const first = thread.chatOnce('first').catch((e: unknown) => e);
    await clock.advance(1_000);
    const { continuation } = (await first) as CodexTurnInactiveError;
    let second: string | undefined;
    void thread.chatOnce('second').then((r) => (second = r.finalText));
    const cancelled = await client.cancel(continuation);
    expect(cancelled.wasInterrupted).toBe(true);
    await clock.settle();
    expect(server.requestsOf('turn/start')).toHaveLength(2);
    expect(second).toBe('answer of turn-2');
    expect(client.stats).toEqual(ZERO_STATS);
  });
});

describe('a turn/start the server joins into a turn this client consumes', () => {
  it('fails the new chat with CodexProtocolError; the running turn is untouched', async () => {
    const { clock, server, client } = setup(async (t) => {
      t.message('first', { id: 'm0' });
      await t.wait(500);
      t.message('done', { id: 'm1' });
    });
    const running = client.chatOnce('one', { threadConfig: {} });
    await clock.settle();
    // A buggy server: every later turn/start answers with the running turn's id.
    server.handle('turn/start', () => ({ turn: turnObject('turn-1') }));
    const joined = await client.chatOnce('two', { threadConfig: {} }).catch((e: unknown) => e);
    expect(joined).toBeInstanceOf(CodexProtocolError);
    expect((joined as Error).message).toBe('turn/start joined turn turn-1, which this client is already consuming');
    await clock.advance(500);
    await expect(running).resolves.toMatchObject({ turnId: 'turn-1', finalText: 'done' });
    expect(client.stats).toEqual(ZERO_STATS);
  });
});

describe('a chat that waited for its thread across a server restart', () => {
  it.each([
    ['restart', false],
    ['reconnect', true],
  ])('%s: it opens the thread on the new server, then starts its turn there', async (_how, resumable) => {
    const T = 'thr-1';
    const loaded = new Map<number, Set<string>>();
    let turns = 0;
    const transport = new LinkedTransport((f, link) => {
      const id = f.id as number;
      const threadId = (f.params as { threadId?: string } | undefined)?.threadId;
      const open = loaded.get(link) ?? new Set<string>();
      loaded.set(link, open);
      switch (f.method) {
        case 'initialize':
          return hello(id);
        case 'thread/start':
          open.add(T);
          return response(id, { thread: threadObject(T) });
        case 'thread/resume':
          open.add(threadId!);
          return response(id, { thread: threadObject(threadId!) });
        case 'thread/turns/list':
          return response(id, { data: [], nextCursor: null });
        case 'turn/start': {
          // A server that was restarted knows no thread until it is resumed.
          if (!open.has(threadId!)) return errorResponse(id, -32600, `thread not found: ${threadId}`);
          const ids = { threadId: T, turnId: `turn-${++turns}` };
          if (turns === 1) return [response(id, { turn: turnObject(ids.turnId) }), turnStarted(ids)];
          return [
            response(id, { turn: turnObject(ids.turnId) }),
            turnStarted(ids),
            itemCompleted({ ...ids, item: agentMessageItem('m', 'second ok') }),
            turnCompleted(ids),
          ];
        }
      }
      return undefined;
    });
    const client = new Client(transport);
    closeAfterEach(client);
    const thread = await client.startThread();
    const a = thread.chatOnce('first').catch((e: unknown) => e);
    const b = thread.chatOnce('second');
    await flushMicrotasks();
    transport.drop(resumable);
    transport.restore();
    // Reconnected to the same server: the first turn goes on there and ends.
    if (resumable) {
      await flushMicrotasks();
      transport.push(turnCompleted({ threadId: T, turnId: 'turn-1' }));
    }
    await a;
    await expect(b).resolves.toMatchObject({ turnId: 'turn-2', finalText: 'second ok' });
    const onLink2 = transport.sent.filter((s) => s.link === 2).map((s) => s.frame.method);
    expect(onLink2.indexOf('thread/resume')).toBeGreaterThanOrEqual(0);
    expect(onLink2.indexOf('thread/resume')).toBeLessThan(onLink2.lastIndexOf('turn/start'));
  });
});
