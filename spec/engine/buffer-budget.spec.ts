/**
 * Memory has a bound in bytes: what suspended turns hold while nobody listens stays within
 * `maxBufferedBytes` however much the server sends. Deltas go first (the completed items carry the
 * whole text; the result counts the dropped deltas); past that a turn can no longer be resumed.
 */
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTurnInactiveError } from '../../src/errors';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import {
  agentDelta,
  agentMessageItem,
  itemCompleted,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
} from '../../src/testing/frames';
import type { ChatContinuation, TurnEvent } from '../../src/models';
import type { TurnScript } from '../../src/testing/fake-server';
import { ZERO_STATS } from '../support/stats';
import { closeAfterEach, hello, virtualFakeApp } from '../support/client-fixture';
import type { VirtualClock } from '../support/marbles';
import { flushMicrotasks } from '../../src/testing/virtual-time';

const MiB = 1024 * 1024;
const chunk = 'x'.repeat(10_000);
const finalText = 'y'.repeat(10_000);

function setup(script: TurnScript, maxBufferedBytes = MiB) {
  const { clock, client } = virtualFakeApp({ script, routineFrames: false }, { inactivityTimeoutMs: 1_000, maxBufferedBytes });
  return { clock, client };
}

/** A turn that goes quiet, then (after the client timed out) streams `n` deltas of 10 KB and a final message. */
const flood =
  (n: number): TurnScript =>
  async (t) => {
    t.message('first', { id: 'm0' });
    await t.wait(2_000);
    for (let i = 0; i < n; i++) t.delta('m1', chunk);
    t.message(finalText, { id: 'm1', deltas: false });
  };

async function suspend(client: CodexClient, clock: VirtualClock, run: Promise<unknown>): Promise<ChatContinuation> {
  await clock.advance(1_000);
  const err = await run;
  expect(err).toBeInstanceOf(CodexTurnInactiveError);
  return (err as CodexTurnInactiveError).continuation;
}

describe('the byte budget of suspended turns', () => {
  it('20 MB of deltas for a suspended turn: at most 1 MiB held; the resumed result is whole and counts the dropped deltas', async () => {
    const { clock, client } = setup(flood(2_000));
    const continuation = await suspend(
      client,
      clock,
      client.chatOnce('go').catch((e: unknown) => e),
    );
    await clock.advance(1_000); // the flood
    expect(client.stats.bufferedBytes).toBeGreaterThan(20_000);
    expect(client.stats.bufferedBytes).toBeLessThanOrEqual(MiB);
    const result = await client.chatOnce(undefined, { continuation });
    expect(result.finalText).toBe(finalText);
    expect(result.droppedDeltas).toBe(2_000);
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('a resumed chatEvents gets every step whole, fewer deltas, and a completed result that says how many were dropped', async () => {
    const { clock, client } = setup(flood(300));
    const first: TurnEvent[] = [];
    const done = new Promise<unknown>((resolve) => client.chatEvents('go').subscribe({ next: (e) => first.push(e), error: resolve }));
    const continuation = await suspend(client, clock, done);
    await clock.advance(1_000);
    const events: TurnEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      client.chatEvents(undefined, { continuation }).subscribe({ next: (e) => events.push(e), error: reject, complete: resolve }),
    );
    const deltas = events.filter((e) => e.type === 'delta').length;
    const last = events[events.length - 1]!;
    expect(last.type).toBe('completed');
    if (last.type !== 'completed') return;
    expect(deltas).toBeLessThan(300);
    expect(deltas + last.result.droppedDeltas).toBe(300);
    expect(events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.step.text : null))).toEqual([finalText]);
    expect(last.result.finalText).toBe(finalText);
  });

  it('past the budget with nothing left to drop, the turn cannot be resumed and holds nothing', async () => {
    const { clock, client } = setup(async (t) => {
      t.message('first', { id: 'm0' });
      await t.wait(2_000);
      for (let i = 0; i < 200; i++) t.message(chunk, { id: `big-${i}`, deltas: false });
    });
    const continuation = await suspend(
      client,
      clock,
      client.chatOnce('go').catch((e: unknown) => e),
    );
    await clock.advance(1_000);
    expect(client.stats.bufferedBytes).toBe(0);
    const err = await client.chatOnce(undefined, { continuation }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/events were dropped while nobody listened \(maxBufferedBytes\); it cannot be resumed/);
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('one budget for every suspended turn: a later turn’s items push out an earlier turn’s deltas', async () => {
    let turn = 0;
    const { clock, client } = setup(async (t) => {
      const mine = ++turn;
      t.message('first', { id: `m0-${mine}` });
      await t.wait(2_000);
      // the first turn: ~0.8 MiB of deltas; the second: ~0.4 MiB of items
      if (mine === 1) for (let i = 0; i < 40; i++) t.delta('m1', chunk);
      else for (let i = 0; i < 20; i++) t.message(chunk, { id: `big-${i}`, deltas: false });
      t.message(finalText, { id: `m1-${mine}`, deltas: false });
    });
    const a = client.chatOnce('one', { threadConfig: {} }).catch((e: unknown) => e);
    const b = client.chatOnce('two', { threadConfig: {} }).catch((e: unknown) => e);
    await clock.advance(1_000);
    const [ca, cb] = [(await a) as CodexTurnInactiveError, (await b) as CodexTurnInactiveError];
    await clock.advance(1_000);
    expect(client.stats.bufferedBytes).toBeLessThanOrEqual(MiB);
    const [ra, rb] = await Promise.all([
      client.chatOnce(undefined, { continuation: ca.continuation }),
      client.chatOnce(undefined, { continuation: cb.continuation }),
    ]);
    expect([ra.finalText, rb.finalText]).toEqual([finalText, finalText]);
    expect(ra.droppedDeltas).toBeGreaterThan(0);
    expect(rb.droppedDeltas).toBe(0);
  });

  it('a frame nested deeper than any walk would stop at still counts in full: 40 × 512 KB at depth 500 are not held', async () => {
    const deep = (leaf: unknown) => {
      let v = leaf;
      for (let i = 0; i < 500; i++) v = { next: v };
      return v;
    };
    const big = 'z'.repeat(512 * 1024);
    const { clock, client } = setup(async (t) => {
      t.message('first', { id: 'm0' });
      await t.wait(2_000);
      for (let i = 0; i < 40; i++)
        t.send({
          method: 'item/started',
          params: { threadId: t.threadId, turnId: t.turnId, item: { type: 'x', id: `x${i}`, payload: deep(big + i) } },
        });
      t.message(finalText, { id: 'm1', deltas: false });
    });
    const continuation = await suspend(
      client,
      clock,
      client.chatOnce('go').catch((e: unknown) => e),
    );
    await clock.advance(1_000);
    // 20 MiB of items against a 1 MiB budget: they were dropped, and the turn says so.
    expect(client.stats.bufferedBytes).toBeLessThanOrEqual(MiB);
    const err = await client.chatOnce(undefined, { continuation }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/events were dropped while nobody listened \(maxBufferedBytes\)/);
    expect(client.stats).toEqual(ZERO_STATS);
  });
});

describe('the byte budget of frames held while turn/start is in flight', () => {
  const T = 'thr-1';
  const U = 'turn-1';
  const big = 'd'.repeat(512 * 1024);

  /** A server that answers turn/start only when the spec says so; what it sends before is held by the client. */
  function slowStart() {
    let answer: (() => void) | null = null;
    const transport = new InMemoryTransport({
      autoRespond: (f) => {
        const id = f.id as number;
        if (f.method === 'initialize') return hello(id);
        if (f.method === 'thread/start') return response(id, { thread: threadObject(T) });
        if (f.method === 'turn/start') answer = () => transport.receive(response(id, { turn: turnObject(U) }));
        return undefined;
      },
    });
    const client = new CodexClient(transport, { maxBufferedBytes: MiB });
    closeAfterEach(client);
    const started = async () => {
      while (!answer) await flushMicrotasks();
      return answer;
    };
    return { transport, client, started };
  }

  it('60 deltas of 512 KB before the answer: at most 1 MiB held; the turn completes and counts the dropped deltas', async () => {
    const { transport, client, started } = slowStart();
    const result = client.chatOnce('go');
    const answer = await started();
    transport.receive(turnStarted({ threadId: T, turnId: U }));
    for (let i = 0; i < 60; i++) transport.receive(agentDelta({ threadId: T, turnId: U, itemId: 'm1', delta: big }));
    await flushMicrotasks();
    expect(client.stats.waitingThreads).toBe(1);
    expect(client.stats.bufferedBytes).toBeGreaterThan(0);
    expect(client.stats.bufferedBytes).toBeLessThanOrEqual(MiB);
    answer();
    transport.receive(itemCompleted({ threadId: T, turnId: U, item: agentMessageItem('m1', finalText) }));
    transport.receive(turnCompleted({ threadId: T, turnId: U }));
    const r = await result;
    expect(r.finalText).toBe(finalText);
    expect(r.droppedDeltas).toBeGreaterThanOrEqual(58);
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('items past the budget before the answer: the turn fails with the gap named, and nothing stays held', async () => {
    const { transport, client, started } = slowStart();
    const result = client.chatOnce('go').catch((e: unknown) => e);
    const answer = await started();
    // ~410 KB each in memory: two fit in 1 MiB, two do not.
    for (let i = 0; i < 4; i++)
      transport.receive(itemCompleted({ threadId: T, turnId: U, item: agentMessageItem(`m${i}`, 'i'.repeat(200 * 1024)) }));
    await flushMicrotasks();
    expect(client.stats.bufferedBytes).toBeLessThanOrEqual(MiB);
    answer();
    const err = await result;
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toBe(
      'turn turn-1: 2 events were dropped while turn/start was in flight (maxBufferedBytes); the turn has a gap',
    );
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('frames of turns that are never ours leave the budget when the connection ends', async () => {
    const { transport, client } = slowStart();
    const result = client.chatOnce('go').catch((e: unknown) => e);
    await flushMicrotasks();
    for (let i = 0; i < 3; i++) transport.receive(agentDelta({ threadId: T, turnId: `other-${i}`, itemId: 'm', delta: 'x'.repeat(1000) }));
    expect(client.stats.bufferedBytes).toBeGreaterThan(0);
    await client.close();
    await result;
    expect(client.stats.bufferedBytes).toBe(0);
  });
});
