/**
 * Turns the server did not finish telling about, on a virtual clock: one whose thread went idle
 * without `turn/completed` (idle recovery) gets the items it missed from the stored turn, once each
 * and in the server's order; `chatEvents` ends with the final text `chatOnce` would; and frames that
 * carry a chat's turn id but another thread's id neither feed nor end it (they are reported).
 */
import { lastValueFrom, toArray } from 'rxjs';
import type { Diagnostic, TurnEvent } from '../../src/models';
import {
  agentMessageItem,
  itemCompleted,
  reasoningItem,
  response,
  threadObject,
  threadStatusChanged,
  turnCompleted,
  turnObject,
  turnStarted,
  userMessageItem,
} from '../../src/testing/frames';
import { hello, scriptedClient } from '../support/client-fixture';

const T = 'thr-1';
const U = 'turn-1';
const ids = { threadId: T, turnId: U };
const GRACE = 500;

/** A scripted server with one turn per chat (`turn-1`), its stored form in `stored`. */
function setup() {
  const stored: { id: string; status: string; items: object[]; completedAt?: number | null } = {
    id: U,
    status: 'inProgress',
    items: [userMessageItem('u', 'go')],
  };
  const { transport, clock, client } = scriptedClient(
    (f) => {
      const id = f.id as number;
      switch (f.method) {
        case 'initialize':
          return hello(id);
        case 'thread/start':
        case 'thread/resume':
          return response(id, { thread: threadObject(T) });
        case 'turn/start':
          return [
            response(id, { turn: turnObject(U, { status: 'inProgress' }) }),
            turnStarted(ids),
            itemCompleted({ ...ids, item: userMessageItem('u', 'go') }),
          ];
        case 'thread/turns/list':
          return response(id, { data: [stored], nextCursor: null });
        default:
          return undefined;
      }
    },
    { idleGraceMs: GRACE },
  );
  const diagnostics: Diagnostic[] = [];
  client.diagnostics$.subscribe((d) => diagnostics.push(d));
  return { transport, client, clock, stored, diagnostics };
}

describe('a turn ended by idle recovery', () => {
  /** The server completes `a` live, stores `b` and `c` without sending them, goes idle, and never sends turn/completed. */
  async function lostEnd(s: ReturnType<typeof setup>): Promise<void> {
    const { transport, clock, stored } = s;
    await clock.settle();
    transport.push(itemCompleted({ ...ids, item: agentMessageItem('a', 'first') }));
    stored.items.push(agentMessageItem('a', 'first'), reasoningItem('b', ['thought']), agentMessageItem('c', 'the answer'));
    stored.status = 'completed';
    transport.push(threadStatusChanged({ threadId: T, status: 'idle' }));
    await clock.settle();
    await clock.advance(GRACE);
  }

  it('chat() gets every stored item it missed, once each, in the server’s order', async () => {
    const s = setup();
    const steps = lastValueFrom(s.client.chat('go').pipe(toArray()));
    await lostEnd(s);
    expect((await steps).map((step) => step.itemId)).toEqual(['u', 'a', 'b', 'c']);
    expect(s.diagnostics.map((d) => d.message)).toContainEqual(expect.stringContaining('thread went idle without turn/completed'));
    expect(s.client.stats).toMatchObject({ turns: 0, busyThreads: 0, idleChecks: 0 });
  });

  it('chatEvents() and chatOnce() end with the stored final message', async () => {
    const s = setup();
    const events = lastValueFrom(s.client.chatEvents('go').pipe(toArray()));
    await lostEnd(s);
    const all = await events;
    expect(all.filter((e) => e.type === 'step').map((e) => (e as Extract<TurnEvent, { type: 'step' }>).step.itemId)).toEqual([
      'u',
      'a',
      'b',
      'c',
    ]);
    expect(all[all.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'the answer', assistantItemId: 'c' } });

    const again = setup();
    const once = again.client.chatOnce('go');
    await lostEnd(again);
    expect(await once).toMatchObject({ finalText: 'the answer', assistantItemId: 'c' });
  });
});

describe('chatEvents() read fallback', () => {
  it('a turn that completed without its agent message ends with the stored one, as chatOnce() does', async () => {
    const results = [];
    for (const call of ['chatEvents', 'chatOnce'] as const) {
      const { transport, client, clock, stored } = setup();
      const result =
        call === 'chatOnce'
          ? client.chatOnce('go')
          : lastValueFrom(client.chatEvents('go')).then((e) => (e as Extract<TurnEvent, { type: 'completed' }>).result);
      await clock.settle();
      stored.items.push(agentMessageItem('m', 'only in the store'));
      stored.status = 'completed';
      // The server's bug: turn/completed without the agent message's item/completed.
      transport.push(turnCompleted(ids));
      results.push(await result);
    }
    const [events, once] = results;
    expect(events).toMatchObject({ finalText: 'only in the store', assistantItemId: 'm', completionSource: 'thread_read_fallback' });
    expect(events).toEqual(once);
  });

  it('a turn whose stored form has no agent message either ends as it came', async () => {
    const { transport, client, clock, stored } = setup();
    const last = lastValueFrom(client.chatEvents('go'));
    await clock.settle();
    stored.status = 'completed';
    transport.push(turnCompleted(ids));
    expect(await last).toMatchObject({ type: 'completed', result: { finalText: '', completionSource: null } });
  });
});

describe('a frame whose thread is not its turn’s', () => {
  it('is dropped and reported: it neither feeds nor ends the chat', async () => {
    const { transport, client, clock, diagnostics } = setup();
    const steps = lastValueFrom(client.chat('go').pipe(toArray()));
    await clock.settle();
    const foreign = { threadId: 'thr-other', turnId: U };
    transport.push(itemCompleted({ ...foreign, item: agentMessageItem('x', 'not yours') }), turnCompleted(foreign));
    await clock.settle();
    expect(client.stats.turns).toBe(1);
    const reports = diagnostics.filter((d) => d.kind === 'protocol' && d.message.includes('thr-other'));
    expect(reports).toHaveLength(2);
    expect(reports[0]!.message).toBe(`dropped a frame of turn ${U} that names thread thr-other; the turn runs on thread ${T}`);
    transport.push(itemCompleted({ ...ids, item: agentMessageItem('m', 'yours') }), turnCompleted(ids));
    expect((await steps).map((s) => [s.itemId, s.text])).toEqual([
      ['u', null],
      ['m', 'yours'],
    ]);
  });
});

describe('a stored end the server has not settled yet (status interrupted, completedAt null)', () => {
  /** What thread/turns/list says while the server has not recorded the turn's end. */
  const unsettled = (stored: { status: string; completedAt?: number | null }) => {
    stored.status = 'interrupted';
    stored.completedAt = null;
  };
  const settled = (stored: { status: string; completedAt?: number | null }) => {
    stored.status = 'completed';
    stored.completedAt = 1_800_000_000;
  };

  it('after an idle thread: read again until it settles; the turn completes, it is not failed as interrupted', async () => {
    const { transport, client, clock, stored } = setup();
    const once = client.chatOnce('go');
    await clock.settle();
    stored.items.push(agentMessageItem('m', 'the answer'));
    unsettled(stored);
    transport.push(threadStatusChanged({ threadId: T, status: 'idle' }));
    await clock.settle();
    await clock.advance(GRACE);
    expect(client.stats.turns).toBe(1);
    settled(stored);
    await clock.advance(GRACE);
    expect(await once).toMatchObject({ finalText: 'the answer', assistantItemId: 'm' });
  });

  it('after a dropped link: the turn goes on (its items delivered), and ends from a later read', async () => {
    const { transport, client, clock, stored } = setup();
    const steps = lastValueFrom(client.chat('go').pipe(toArray()));
    await clock.settle();
    transport.drop(true);
    stored.items.push(agentMessageItem('m', 'the answer'));
    unsettled(stored);
    transport.restore();
    await clock.settle();
    expect(client.stats.turns).toBe(1);
    settled(stored);
    await clock.advance(GRACE);
    expect((await steps).map((s) => s.itemId)).toEqual(['u', 'm']);
  });

  it('an end that never settles is taken as it reads after a few reads', async () => {
    const { transport, client, clock, stored } = setup();
    const once = client.chatOnce('go').catch((e: unknown) => e);
    await clock.settle();
    unsettled(stored);
    transport.push(threadStatusChanged({ threadId: T, status: 'idle' }));
    await clock.settle();
    for (let i = 0; i < 5; i++) await clock.advance(GRACE);
    expect(await once).toMatchObject({ name: 'CodexProtocolError', message: 'turn interrupted' });
  });
});
