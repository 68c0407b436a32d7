/**
 * Which server turn a chat owns, on a virtual clock: a `turn/start` whose answer is lost with a
 * dropped link (the server survives it) keeps its thread until the thread's stored turns say
 * whether the turn ran; it is adopted if it did (found by the `clientUserMessageId` it carried),
 * sent again if it did not; no later chat joins it. The transport is spec/support/linked-transport.ts.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { CodexTransportError } from '../../src/errors';
import {
  agentMessageItem,
  itemCompleted,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
  userMessageItem,
} from '../../src/testing/frames';
import { hello, scriptedClient } from '../support/client-fixture';

const T = 'thr-1';

interface StoredTurn {
  id: string;
  status: string;
  items: object[];
}

/**
 * A scripted server that survives the client's links, with the turns it stored. `onTurnStart` says
 * what becomes of each turn/start: `answer` (the usual), `lose-answer` (the turn starts, but the link
 * drops before the answer gets out), `lose-request` (the link drops before the server read it),
 * `crash` (like `lose-answer`, but the server does not survive the link: a restarted process).
 */
function setup(onTurnStart: (n: number) => 'answer' | 'lose-answer' | 'lose-request' | 'crash') {
  const turns: StoredTurn[] = [];
  let starts = 0;
  const { transport, clock, client, methods } = scriptedClient((f, link) => {
    const id = f.id as number;
    const p = (f.params ?? {}) as { threadId?: string; clientUserMessageId?: string; input?: Array<{ text?: string }> };
    switch (f.method) {
      case 'initialize':
        return hello(id, link);
      case 'thread/start':
      case 'thread/resume':
        return response(id, { thread: threadObject(T) });
      case 'turn/start': {
        const fate = onTurnStart(++starts);
        // Queued before the answer's delivery: the link is gone when the answer would go out.
        if (fate !== 'answer') queueMicrotask(() => transport.drop(fate !== 'crash'));
        if (fate === 'lose-request') return undefined;
        const turnId = `turn-${turns.length + 1}`;
        const user = { ...userMessageItem(`u${turns.length + 1}`, p.input?.[0]?.text ?? ''), clientId: p.clientUserMessageId ?? null };
        turns.push({ id: turnId, status: 'inProgress', items: [user] });
        const ids = { threadId: T, turnId };
        return [
          response(id, { turn: turnObject(turnId, { status: 'inProgress' }) }),
          turnStarted(ids),
          itemCompleted({ ...ids, item: user }),
        ];
      }
      case 'thread/turns/list':
        return response(id, { data: [...turns].reverse(), nextCursor: null });
      default:
        return undefined;
    }
  });
  /** The server completes `turnId` live with an agent message. */
  const finish = (turnId: string, itemId: string, text: string) => {
    const turn = turns.find((t) => t.id === turnId)!;
    turn.items.push(agentMessageItem(itemId, text));
    turn.status = 'completed';
    transport.push(itemCompleted({ threadId: T, turnId, item: agentMessageItem(itemId, text) }), turnCompleted({ threadId: T, turnId }));
  };
  return { transport, client, clock, turns, methods, finish };
}

describe('a turn/start whose answer was lost with the link', () => {
  it('that ran and completed meanwhile is adopted: the chat gets that turn’s answer, and nothing is sent twice', async () => {
    const { transport, client, clock, turns, methods } = setup((n) => (n === 1 ? 'lose-answer' : 'answer'));
    await client.initialize();
    const once = client.chatOnce('first', { threadId: T });
    await clock.settle();
    expect(transport.up).toBe(false);
    turns[0]!.items.push(agentMessageItem('m1', 'the first answer'));
    turns[0]!.status = 'completed';
    transport.restore();
    const result = await once;
    expect(result).toMatchObject({ turnId: 'turn-1', finalText: 'the first answer', assistantItemId: 'm1' });
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume', 'thread/turns/list']);
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 0, waitingThreads: 0, bufferedBytes: 0 });
  });

  it('that runs on is adopted: its items come once each, in the server’s order, and the next chat gets a turn of its own', async () => {
    const { transport, client, clock, turns, methods, finish } = setup((n) => (n === 1 ? 'lose-answer' : 'answer'));
    await client.initialize();
    const steps = lastValueFrom(client.chat('first', { threadId: T }).pipe(toArray()));
    await clock.settle();
    // Completed while the link was down: in the stored turn only.
    turns[0]!.items.push(agentMessageItem('a', 'in the dark'));
    // The next chat on the thread waits: the thread is not free while the first's turn is unknown.
    const next = client.chatOnce('second', { threadId: T });
    transport.restore();
    await clock.settle();
    // The stored turns were read; no turn/start went out (the second chat resumed the thread for itself).
    expect(methods(2)).toContain('thread/turns/list');
    expect(methods(2)).not.toContain('turn/start');
    // Live again: a once more (the server re-sends it), then the end.
    transport.push(itemCompleted({ threadId: T, turnId: 'turn-1', item: agentMessageItem('a', 'in the dark') }));
    finish('turn-1', 'b', 'the first answer');
    expect((await steps).map((s) => [s.turnId, s.itemId])).toEqual([
      ['turn-1', 'u1'],
      ['turn-1', 'a'],
      ['turn-1', 'b'],
    ]);
    await clock.settle();
    // Only now does the second chat's turn/start go out, and it gets a turn of its own.
    expect(methods(2).filter((m) => m === 'turn/start')).toHaveLength(1);
    finish('turn-2', 'c', 'the second answer');
    expect(await next).toMatchObject({ turnId: 'turn-2', finalText: 'the second answer' });
    expect(turns.map((t) => t.id)).toEqual(['turn-1', 'turn-2']);
  });

  it('that never reached the server is sent again on the new link, under the same clientUserMessageId', async () => {
    const { transport, client, clock, methods, finish } = setup((n) => (n === 1 ? 'lose-request' : 'answer'));
    await client.initialize();
    const once = client.chatOnce('first', { threadId: T });
    await clock.settle();
    expect(transport.up).toBe(false);
    transport.restore();
    await clock.settle();
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume', 'thread/turns/list', 'turn/start']);
    const sent = transport.sent
      .filter((s) => s.frame.method === 'turn/start')
      .map((s) => (s.frame.params as Record<string, unknown>).clientUserMessageId);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    finish('turn-1', 'm', 'answered on link 2');
    expect(await once).toMatchObject({ turnId: 'turn-1', finalText: 'answered on link 2' });
  });

  it('keeps its chat waiting across further drops until a link lets it find out', async () => {
    const { transport, client, clock, turns, finish } = setup((n) => (n === 1 ? 'lose-answer' : 'answer'));
    await client.initialize();
    const once = client.chatOnce('first', { threadId: T });
    await clock.settle();
    // Link 2 drops before the client could read the stored turns.
    transport.restore();
    transport.drop(true);
    await clock.settle();
    transport.restore();
    await clock.settle();
    finish('turn-1', 'm', 'found on link 3');
    expect(await once).toMatchObject({ turnId: 'turn-1', finalText: 'found on link 3' });
    expect(turns).toHaveLength(1);
  });

  it('fails the chat when the server did not survive the link (its turns are gone with it)', async () => {
    const { client, clock } = setup(() => 'crash');
    await client.initialize();
    const once = client.chatOnce('first', { threadId: T }).catch((e: unknown) => e);
    await clock.settle();
    const err = await once;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'exited' });
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 0, waitingThreads: 0 });
  });

  it('fails the chat with the connection’s end when it closes before a link came back', async () => {
    const { transport, client, clock } = setup(() => 'lose-answer');
    await client.initialize();
    const once = client.chatOnce('first', { threadId: T }).catch((e: unknown) => e);
    await clock.settle();
    expect(transport.up).toBe(false);
    await client.close();
    expect(await once).toMatchObject({ name: 'CodexTransportError', code: 'closed' });
  });
});

describe('a turn left by its chat (no interruptOnUnsubscribe), across a dropped link', () => {
  it('keeps its thread until the new link shows it ended; a turn still running keeps it until its live end', async () => {
    const { transport, client, clock, turns, finish } = setup(() => 'answer');
    await client.initialize();
    const left = client.chat('first', { threadId: T }).subscribe({ error: () => undefined });
    await clock.settle();
    left.unsubscribe();
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 1 });
    // Ended while the link was down: its turn/completed is lost with the link.
    transport.drop(true);
    turns[0]!.status = 'completed';
    const next = client.chatOnce('second', { threadId: T });
    transport.restore();
    await clock.settle();
    finish('turn-2', 'm2', 'the second answer');
    expect(await next).toMatchObject({ turnId: 'turn-2', finalText: 'the second answer' });

    // Still running at the new link: held until the server ends it live.
    const again = client.chat('third', { threadId: T }).subscribe({ error: () => undefined });
    await clock.settle();
    again.unsubscribe();
    transport.drop(true);
    transport.restore();
    await clock.settle();
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 1 });
    finish('turn-3', 'm3', 'the third answer');
    await clock.settle();
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 0 });
  });
});
