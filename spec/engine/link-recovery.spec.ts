/**
 * The client across a link that drops and comes back (the `links$` of a transport that reconnects
 * or restarts), on a virtual clock: requests in flight, requests made meanwhile, the new link's
 * handshake and resumes, reconciling a running turn from what the server stored, and the
 * connection state. The transport is spec/support/linked-transport.ts.
 */
import { lastValueFrom, toArray } from 'rxjs';
import type { ConnectionState } from '../../src/engine/link-recovery';
import { CodexTransportError } from '../../src/errors';
import type { ConversationStep } from '../../src/models';
import {
  agentMessageItem,
  errorResponse,
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
const U = 'turn-1';
const ids = { threadId: T, turnId: U };
const item = (id: string, text: string) => agentMessageItem(id, text);

/** A scripted server that survives the client's links: its turns and their stored items. */
function setup(options: { refuseHandshakeOn?: number; answerReadsOn?: number } = {}) {
  const stored = { id: U, status: 'inProgress', items: [userMessageItem('u', 'go')] as object[] };
  const { transport, clock, client, methods } = scriptedClient((f, link) => {
    const id = f.id as number;
    const p = (f.params ?? {}) as { threadId?: string };
    switch (f.method) {
      case 'initialize':
        if (link === options.refuseHandshakeOn) return errorResponse(id, -32600, 'Not this time');
        return hello(id, link);
      case 'thread/start':
        return response(id, { thread: threadObject(T) });
      case 'thread/resume':
        return response(id, { thread: threadObject(p.threadId ?? T) });
      case 'turn/start':
        return [
          response(id, { turn: turnObject(U, { status: 'inProgress' }) }),
          turnStarted(ids),
          itemCompleted({ ...ids, item: userMessageItem('u', 'go') }),
        ];
      case 'thread/turns/list':
        return response(id, { data: [stored], nextCursor: null });
      case 'model/list':
        return link >= (options.answerReadsOn ?? 1) ? response(id, { data: [], nextCursor: null }) : undefined;
      case 'config/read':
        return response(id, { config: {}, origins: {} });
      default:
        return undefined; // e.g. thread/name/set: never answered
    }
  });
  const states: ConnectionState[] = [];
  client.connectionState$.subscribe((s) => states.push(s));
  return { transport, client, clock, stored, states, methods };
}

describe('a link that drops and comes back (the server runs on)', () => {
  it('a read in flight is sent again on the new link; a write in flight fails with disconnected', async () => {
    const { transport, client, clock, methods } = setup({ answerReadsOn: 2 });
    await client.initialize();
    const read = client.listModels();
    const write = client.setThreadName(T, 'x').catch((e: unknown) => e);
    await clock.settle();
    transport.drop(true);
    const err = await write;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'disconnected', message: 'thread/name/set: link 1 dropped' });
    transport.restore();
    await expect(read).resolves.toEqual({ data: [], nextCursor: null });
    expect(methods(2)).toEqual(['initialize', 'initialized', 'model/list']);
  });

  it('requests made during the outage wait, then go out in order after the new link’s handshake', async () => {
    const { transport, client, clock, methods, states } = setup();
    await client.initialize();
    transport.drop(true);
    const a = client.listModels();
    const b = client.readConfig();
    await clock.settle();
    expect(methods(2)).toEqual([]);
    expect(states).toEqual(['connecting', 'connected', 'reconnecting']);
    transport.restore();
    await Promise.all([a, b]);
    expect(methods(2)).toEqual(['initialize', 'initialized', 'model/list', 'config/read']);
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('a running turn is resumed: items completed in the gap come once, in order, before the live rest', async () => {
    const { transport, client, clock, stored, methods } = setup();
    const steps: ConversationStep[] = [];
    const done = lastValueFrom(client.chat('go').pipe(toArray()));
    await clock.settle();
    transport.push(itemCompleted({ ...ids, item: item('a', 'first') }));
    await clock.settle();
    transport.drop(true);
    // While the link is down the server completes b and c.
    stored.items.push(item('a', 'first'), item('b', 'second'), item('c', 'third'));
    transport.restore();
    await clock.settle();
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume', 'thread/turns/list']);
    // live again: c once more (the server re-sends it after the resume), then d, then the end
    transport.push(
      itemCompleted({ ...ids, item: item('c', 'third') }),
      itemCompleted({ ...ids, item: item('d', 'fourth') }),
      turnCompleted(ids),
    );
    steps.push(...(await done));
    expect(steps.map((s) => [s.itemId, s.text])).toEqual([
      ['u', null],
      ['a', 'first'],
      ['b', 'second'],
      ['c', 'third'],
      ['d', 'fourth'],
    ]);
  });

  it('a turn that ended during the gap ends from what the server stored', async () => {
    const { transport, client, clock, stored } = setup();
    const once = client.chatOnce('go');
    await clock.settle();
    transport.drop(true);
    stored.items.push(item('m', 'the answer'));
    stored.status = 'completed';
    transport.restore();
    const result = await once;
    expect(result).toMatchObject({ finalText: 'the answer', assistantItemId: 'm', completionSource: 'item_completed' });
    expect(client.stats.turns).toBe(0);
  });

  it('a server that refuses the new link’s handshake closes the client with restart-failed', async () => {
    const { transport, client, clock, states } = setup({ refuseHandshakeOn: 2 });
    await client.initialize();
    transport.drop(true);
    const waiting = client.listModels().catch((e: unknown) => e);
    transport.restore();
    await clock.settle();
    expect(await waiting).toMatchObject({
      name: 'CodexTransportError',
      code: 'restart-failed',
      message: expect.stringMatching(/refused the new link: .*Not this time/),
    });
    expect(states[states.length - 1]).toBe('closed');
  });
});

describe('a server that was restarted (its running turns are gone)', () => {
  it('running turns fail with its error; the next turn on the thread asks for a new link, then resumes the thread', async () => {
    const { transport, client, clock, methods } = setup();
    const first = client.chatOnce('go').catch((e: unknown) => e);
    await clock.settle();
    transport.drop(false);
    expect(await first).toMatchObject({ name: 'CodexTransportError', code: 'exited' });
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 0 });
    const next = client.chatOnce('again', { threadId: T });
    await clock.settle();
    expect(transport.relinks).toBeGreaterThan(0);
    transport.restore();
    await clock.settle();
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume', 'turn/start']);
    transport.push(itemCompleted({ ...ids, item: item('m2', 'again!') }), turnCompleted(ids));
    expect((await next).finalText).toBe('again!');
  });
});
