/**
 * `ChatOptions.signal` and `RequestOptions.signal`: an abort rejects at once with `CodexAbortError`,
 * stops the turn on the server (once the server can take an interrupt), cancels its pending
 * approvals, holds its thread until the server ended it, and leaves no listener on the signal.
 * On the fake server and a virtual clock.
 */
import { getEventListeners } from 'node:events';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import { CodexAbortError, CodexTurnInactiveError } from '../../src/errors';
import type { ClientOptions } from '../../src/options';
import type { TurnScript } from '../../src/testing/fake-server';
import { threadStatusChanged } from '../../src/testing/frames';
import { virtualFakeApp } from '../support/client-fixture';
import { ZERO_STATS } from '../support/stats';

const fakeServer = (script: TurnScript, client: ClientOptions = {}) =>
  virtualFakeApp({ routineFrames: false, script }, { requestTimeoutMs: 10_000, ...client });

/** A turn that answers once, then runs until interrupted. */
const openTurn: TurnScript = (t) => {
  t.message('partial', { id: 'm1' });
  t.keepOpen();
};

const zeroStats = ZERO_STATS;
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

/** Subscribes and records what arrives, synchronously. */
function record<T>(o: Observable<T>) {
  const out = { values: [] as T[], error: null as unknown, completed: false };
  const subscription = o.subscribe({
    next: (v) => out.values.push(v),
    error: (e) => (out.error = e),
    complete: () => (out.completed = true),
  });
  return Object.assign(out, { subscription });
}

describe('ChatOptions.signal', () => {
  it('already aborted: rejects at once with CodexAbortError, and nothing is sent (not even the handshake)', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    const ac = new AbortController();
    ac.abort('changed my mind');
    const err = await client.chatOnce('go', { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexAbortError);
    expect(err).toMatchObject({ name: 'CodexAbortError', method: 'turn', reason: 'changed my mind' });
    const chat = record(client.chat('go', { signal: ac.signal }));
    expect(chat.error).toBeInstanceOf(CodexAbortError); // synchronously, on subscribe
    await clock.settle();
    expect(server.requests).toEqual([]);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('mid-turn: errors at once (before the server ends the turn), interrupts the turn on the server, frees everything', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    const ac = new AbortController();
    const received: string[] = [];
    client.notifications$.subscribe((n) => received.push(n.method));
    const chat = record(client.chat('go', { signal: ac.signal }));
    await clock.settle();
    expect(chat.values.map((s) => s.text)).toEqual(['partial']);
    expect(listeners(ac.signal)).toBe(1);

    const reason = new Error('user pressed stop');
    ac.abort(reason);
    // synchronously: the server's turn/completed has not come back yet
    expect(chat.error).toBeInstanceOf(CodexAbortError);
    expect(chat.error).toMatchObject({ method: 'turn', reason, cause: reason, message: 'turn turn-1 aborted' });
    expect(received).not.toContain('turn/completed');
    expect(listeners(ac.signal)).toBe(0);

    await clock.settle();
    expect(server.requestsOf('turn/interrupt').map((r) => r.params)).toEqual([{ threadId: 'thr-1', turnId: 'turn-1' }]);
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(client.stats).toEqual(zeroStats);
  });

  it('chatEvents and chatOnce abort the same way', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    const ac1 = new AbortController();
    const events = record(client.chatEvents('one', { signal: ac1.signal }));
    await clock.settle();
    expect(events.values.map((e) => e.type)).toEqual(['started', 'delta', 'step']);
    ac1.abort();
    expect(events.error).toMatchObject({ name: 'CodexAbortError', method: 'turn' });
    expect((events.error as CodexAbortError).reason).toMatchObject({ name: 'AbortError' }); // the signal's default reason
    await clock.settle();

    const ac2 = new AbortController();
    const once = client.chatOnce('two', { signal: ac2.signal }).catch((e: unknown) => e);
    await clock.settle();
    ac2.abort('stop');
    expect(await once).toMatchObject({ name: 'CodexAbortError', reason: 'stop' });
    await clock.settle();
    expect(server.turns.map((t) => t.status)).toEqual(['interrupted', 'interrupted']);
    expect(client.stats).toEqual(zeroStats);
  });

  it('while turn/start is in flight: rejects at once; the turn that starts is interrupted once the server started it', async () => {
    const { server, client, clock } = fakeServer(async (t) => {
      t.hold(); // no response to turn/start yet
      await t.wait(100);
      t.respond();
      await t.wait(100);
      t.open(); // turn/started: only now does the server take turn/interrupt
      t.message('never read');
      t.keepOpen();
    });
    const ac = new AbortController();
    const chat = record(client.chat('go', { signal: ac.signal }));
    await clock.advance(50);
    expect(server.requestsOf('turn/start')).toHaveLength(1);
    ac.abort();
    expect(chat.error).toMatchObject({ name: 'CodexAbortError', message: 'turn aborted' });

    await clock.advance(100); // the response came; the server has not started the turn
    expect(server.requestsOf('turn/interrupt')).toEqual([]);
    await clock.advance(100); // turn/started: the held interrupt goes out
    expect(server.requestsOf('turn/interrupt').map((r) => r.params)).toEqual([{ threadId: 'thr-1', turnId: 'turn-1' }]);
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(chat.values).toEqual([]);
    expect(client.stats).toEqual(zeroStats);
  });

  it('while the thread is being started: rejects at once, and no turn is ever started', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    server.handle('thread/start', async (_params, ctx) => {
      await ctx.wait(100);
      return undefined; // then the built-in answer
    });
    const ac = new AbortController();
    const once = client.chatOnce('go', { signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(50);
    ac.abort('too slow');
    expect(await once).toMatchObject({ name: 'CodexAbortError', reason: 'too slow' });
    await clock.advance(100);
    expect(server.requests.map((r) => r.method)).toEqual(['initialize', 'thread/start']);
    expect(client.stats).toEqual(zeroStats);
  });

  it('a pending approval of the aborted turn is answered `cancel` at once', async () => {
    const { server, client, clock } = fakeServer(
      async (t) => {
        await t.approval({ itemId: 'c1', command: 'rm -rf build' });
        t.message('after the approval');
      },
      { approvalMode: 'manual' }, // nobody answers: the approval stays pending
    );
    const ac = new AbortController();
    const events = record(client.chatEvents('go', { signal: ac.signal }));
    await clock.settle();
    expect(events.values.map((e) => e.type)).toEqual(['started', 'approval']);
    expect(client.stats.pendingApprovals).toBe(1);
    ac.abort();
    expect(client.stats.pendingApprovals).toBe(0);
    await clock.settle();
    expect(server.serverRequests[0]!.answer).toEqual({ id: 0, result: { decision: 'cancel' } });
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(server.turns[0]!.items.map((i) => i.id)).not.toContain('after the approval');
    expect(client.stats).toEqual(zeroStats);
  });

  it('the next chat on the thread waits until the server has ended the aborted turn', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    // A server slow to wind down: it acknowledges turn/interrupt at once, ends the turn 100 ms later.
    server.handle('turn/interrupt', (params, ctx) => {
      const turn = server.turns.find((t) => t.turnId === params.turnId)!;
      void ctx.wait(100).then(() => turn.interrupt());
      return {};
    });
    const thread = await client.startThread();
    const ac = new AbortController();
    const first = thread.chatOnce('first', { signal: ac.signal }).catch((e: unknown) => e);
    await clock.settle();
    ac.abort();
    expect(await first).toBeInstanceOf(CodexAbortError);
    server.onTurn((t) => t.message(`Echo: ${t.text}`));
    const next = thread.chatOnce('next');
    await clock.advance(99);
    expect(server.requestsOf('turn/start')).toHaveLength(1); // held: it would join the dying turn
    await clock.advance(1);
    expect(server.turns[0]!.status).toBe('interrupted');
    expect((await next).finalText).toBe('Echo: next');
    expect(server.turns.map((t) => [t.turnId, t.status])).toEqual([
      ['turn-1', 'interrupted'],
      ['turn-2', 'completed'],
    ]);
    expect(client.stats).toEqual(zeroStats);
  });

  it('a server that never ends the aborted turn holds its thread for the request timeout only', async () => {
    const { server, client, clock } = fakeServer(openTurn, { requestTimeoutMs: 1_000 });
    server.handle('turn/interrupt', () => ({})); // acknowledged, and nothing more
    const thread = await client.startThread();
    const ac = new AbortController();
    const first = thread.chatOnce('first', { signal: ac.signal }).catch((e: unknown) => e);
    await clock.settle();
    ac.abort();
    await first;
    const next = thread.chatOnce('next').catch((e: unknown) => e);
    await clock.advance(999);
    expect(server.requestsOf('turn/start')).toHaveLength(1);
    await clock.advance(1);
    expect(server.requestsOf('turn/start')).toHaveLength(2);
    // The fake, like the real server, joins it into the turn that still runs: the risk the hold avoids.
    expect(server.turns[0]!.steers).toHaveLength(1);
    server.turns[0]!.complete();
    expect(await next).toMatchObject({ turnId: 'turn-1', finalText: 'partial' });
  });

  it('a server that goes idle without turn/completed releases the thread when it goes idle', async () => {
    const { server, client, clock } = fakeServer(openTurn);
    server.handle('turn/interrupt', (params, ctx) => {
      // The server bug idle recovery knows: the turn ends, the thread goes idle, no turn/completed.
      void ctx.wait(100).then(() => server.send(threadStatusChanged({ threadId: params.threadId, status: 'idle' })));
      return {};
    });
    const thread = await client.startThread();
    const ac = new AbortController();
    const first = thread.chatOnce('first', { signal: ac.signal }).catch((e: unknown) => e);
    await clock.settle();
    ac.abort();
    await first;
    const next = thread.chatOnce('next').catch((e: unknown) => e);
    await clock.advance(99);
    expect(server.requestsOf('turn/start')).toHaveLength(1);
    await clock.advance(1);
    expect(server.requestsOf('turn/start')).toHaveLength(2); // long before the request timeout (10 s)
    server.turns[0]!.complete();
    await next;
  });

  it('aborting after the turn ended changes nothing; the listener was already removed', async () => {
    const { server, client } = fakeServer((t) => t.message('done'));
    const ac = new AbortController();
    const steps = await lastValueFrom(client.chat('go', { signal: ac.signal }).pipe(toArray()));
    expect(steps.map((s) => s.text)).toEqual(['done']);
    expect(listeners(ac.signal)).toBe(0);
    ac.abort();
    expect(server.requestsOf('turn/interrupt')).toEqual([]);
  });

  it('one signal over many turns gathers no listeners (completed, failed, unsubscribed, timed out)', async () => {
    const { server, client, clock } = fakeServer(
      (t) => (t.text === 'fail' ? t.fail('no') : t.text === 'hang' ? t.keepOpen() : t.message('ok')),
      { inactivityTimeoutMs: 50 },
    );
    const ac = new AbortController();
    const thread = await client.startThread();
    for (let i = 0; i < 20; i++) await thread.chatOnce('ok', { signal: ac.signal });
    await expect(thread.chatOnce('fail', { signal: ac.signal })).rejects.toThrow('no');
    const left = record(thread.chat('hang', { signal: ac.signal }));
    await clock.settle();
    expect(listeners(ac.signal)).toBe(1);
    left.subscription.unsubscribe();
    expect(listeners(ac.signal)).toBe(0);
    // The abandoned turn holds its thread until the server ends it.
    server.turns[server.turns.length - 1]!.complete();
    await clock.settle();
    const silent = thread.chatOnce('hang', { signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(50);
    expect(await silent).toBeInstanceOf(CodexTurnInactiveError);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('a continuation resumed with a signal is aborted like a fresh turn', async () => {
    const { server, client, clock } = fakeServer(openTurn, { inactivityTimeoutMs: 50 });
    const timedOut = client.chatOnce('go').catch((e: unknown) => e);
    await clock.advance(50);
    const { continuation } = (await timedOut) as CodexTurnInactiveError;
    const ac = new AbortController();
    const resumed = client.chatOnce(undefined, { continuation, signal: ac.signal }).catch((e: unknown) => e);
    await clock.settle();
    ac.abort('enough');
    expect(await resumed).toMatchObject({ name: 'CodexAbortError', reason: 'enough', message: 'turn turn-1 aborted' });
    await clock.settle();
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(client.stats).toEqual(zeroStats);
  });
});

describe('RequestOptions.signal', () => {
  /** A server whose handshake answers after 100 ms. */
  function slowHandshake() {
    const fake = fakeServer(openTurn);
    fake.server.handle('initialize', async (_params, ctx) => {
      await ctx.wait(100);
      return undefined;
    });
    return fake;
  }

  it('request() aborted while the handshake runs rejects at once; the handshake still completes', async () => {
    const { server, client, clock } = slowHandshake();
    const ac = new AbortController();
    const pending = client.request('model/list', {}, { signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(50);
    ac.abort('navigated away');
    expect(await pending).toMatchObject({ name: 'CodexAbortError', method: 'model/list', reason: 'navigated away' });
    expect(listeners(ac.signal)).toBe(0);
    await clock.advance(50);
    expect(server.initialized).toBe(true);
    expect(server.requestsOf('model/list')).toEqual([]);
  });

  it('request$ honours the signal: before the handshake, in flight, and already aborted', async () => {
    const { server, client, clock } = slowHandshake();
    const early = new AbortController();
    const first = record(client.request$('model/list', {}, { signal: early.signal }));
    await clock.advance(50);
    early.abort();
    await clock.settle();
    expect(first.error).toMatchObject({ name: 'CodexAbortError', method: 'model/list' });
    await clock.advance(50);

    server.handle('model/list', async (_params, ctx) => {
      await ctx.wait(100);
      return undefined;
    });
    const late = new AbortController();
    const second = record(client.request$('model/list', {}, { signal: late.signal }));
    await clock.advance(50);
    expect(server.requestsOf('model/list')).toHaveLength(1);
    late.abort('late');
    expect(second.error).toMatchObject({ name: 'CodexAbortError', reason: 'late' });
    expect(client.stats.pendingRequests).toBe(0);

    const third = record(client.request$('model/list', {}, { signal: late.signal }));
    expect(third.error).toMatchObject({ name: 'CodexAbortError' });
    await clock.advance(100);
    expect(server.requestsOf('model/list')).toHaveLength(1);
  });
});
