/**
 * Interrupts asked for before the server started the turn (its `turn/started`): held until then,
 * also once the chat that ran the turn has left (its session released), and never held for good:
 * the connection's end fails a caller's wait at once, and a detached interrupt whose turn never
 * starts or ends is given up after the request timeout. On the fake server and a virtual clock.
 */
import { CodexClient } from '../../src/client';
import { BufferBudget } from '../../src/engine/buffer-budget';
import { Interrupts } from '../../src/engine/interrupts';
import { EngineRequests } from '../../src/engine/requests';
import { TurnRouter } from '../../src/engine/turn-router';
import { CodexProtocolError, CodexTransportError } from '../../src/errors';
import type { ClientOptions } from '../../src/options';
import { JsonRpcConnection } from '../../src/streams/connection';
import { FakeAppServer } from '../../src/testing/fake-server';
import { errorResponse, response, turnCompleted } from '../../src/testing/frames';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { virtualClock } from '../support/marbles';
import { ZERO_STATS } from '../support/stats';
import { outcome } from '../support/outcome';

const clients: CodexClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A server that answers turn/start but does not start the turn until the spec says (`turn().open()`). */
function notYetStarted(options: ClientOptions = {}) {
  const clock = virtualClock();
  const server = new FakeAppServer({ routineFrames: false, scheduler: clock.scheduler });
  server.onTurn((t) => {
    t.hold(); // no turn/started after the script's synchronous part
    t.respond();
    t.keepOpen();
  });
  const client = server.client({ requestTimeoutMs: 10_000, ...options });
  clients.push(client);
  return { clock, server, client, turn: () => server.turns[0]! };
}

describe('interruptTurn() before turn/started, once the chat has left', () => {
  /** A chat whose turn the server answered but has not started, an interruptTurn() waiting for it, and the chat gone. */
  async function leftBeforeStart(options: ClientOptions = {}) {
    const fake = notYetStarted(options);
    const sub = fake.client.chat('go').subscribe({ error: () => undefined });
    await fake.clock.settle();
    expect(fake.client.stats.turns).toBe(1);
    const interrupted = outcome(fake.client.interruptTurn(fake.turn().turnId));
    await fake.clock.advance(20);
    sub.unsubscribe();
    await fake.clock.settle();
    expect(fake.server.requestsOf('turn/interrupt')).toEqual([]);
    return { ...fake, interrupted };
  }

  it('close() fails it at once with CodexTransportError closed (requestTimeoutMs null: it would wait forever)', async () => {
    const { clock, client, interrupted } = await leftBeforeStart({ requestTimeoutMs: null });
    await client.close();
    await clock.settle();
    expect(interrupted.error).toBeInstanceOf(CodexTransportError);
    expect(interrupted.error).toMatchObject({ code: 'closed' });
    expect(client.stats).toEqual(ZERO_STATS);
    expect(clock.scheduler.actions).toEqual([]);
  });

  it('the same with a request timeout: no wait for it after close()', async () => {
    const { clock, client, interrupted } = await leftBeforeStart();
    await client.close();
    await clock.settle();
    expect(interrupted.error).toMatchObject({ name: 'CodexTransportError', code: 'closed' });
    expect(clock.scheduler.actions).toEqual([]);
  });

  it('turn/started coming later sends the interrupt at once, and it resolves when acknowledged', async () => {
    const { clock, server, client, turn, interrupted } = await leftBeforeStart();
    await clock.advance(100);
    turn().open();
    await clock.settle();
    expect(server.requestsOf('turn/interrupt').map((r) => r.params)).toEqual([{ threadId: 'thr-1', turnId: 'turn-1' }]);
    expect(interrupted).toEqual({ value: undefined, settled: true });
    expect(turn().status).toBe('interrupted');
    expect(client.stats).toEqual(ZERO_STATS);
    expect(clock.scheduler.actions).toEqual([]);
  });

  it('a turn that completes without starting resolves it at once: nothing to interrupt', async () => {
    const { clock, server, turn, interrupted } = await leftBeforeStart();
    server.send(turnCompleted({ threadId: 'thr-1', turnId: turn().turnId }));
    await clock.settle();
    expect(interrupted).toEqual({ value: undefined, settled: true });
    expect(server.requestsOf('turn/interrupt')).toEqual([]);
    expect(clock.scheduler.actions).toEqual([]);
  });

  it('nothing coming: after the request timeout the interrupt is sent anyway (as while the chat ran)', async () => {
    const { clock, server, interrupted } = await leftBeforeStart();
    await clock.advance(10_000 - 20);
    expect(server.requestsOf('turn/interrupt')).toHaveLength(1);
    // The fake, like the real server, refuses it: the turn has not started.
    expect(interrupted.error).toBeInstanceOf(CodexProtocolError);
    expect(interrupted.error).toMatchObject({ code: -32600 });
  });
});

describe('an aborted chat whose turn the server never starts', () => {
  it('sends its interrupt anyway after the request timeout, and is forgotten: a turn/started long after sends nothing', async () => {
    const { clock, server, client, turn } = notYetStarted({ requestTimeoutMs: 1_000 });
    const ac = new AbortController();
    const aborted = outcome(client.chatOnce('go', { signal: ac.signal }));
    await clock.settle();
    ac.abort();
    await clock.settle();
    expect(aborted.error).toMatchObject({ name: 'CodexAbortError' });
    expect(client.stats.busyThreads).toBe(1); // the thread is held for the interrupted turn's end
    await clock.advance(1_000);
    expect(server.requestsOf('turn/interrupt')).toHaveLength(1); // refused (-32600): nothing to interrupt
    expect(client.stats).toEqual(ZERO_STATS);
    expect(clock.scheduler.actions).toEqual([]);
    await clock.advance(3_600_000);
    turn().open();
    await clock.settle();
    expect(server.requestsOf('turn/interrupt')).toHaveLength(1);
  });
});

describe('Interrupts, held interrupts and their end', () => {
  /** Interrupts over a connection whose server answers turn/interrupt as `answer` says (never, by default). */
  async function interrupts(answer: 'never' | 'refuse' | 'ack' = 'never') {
    const clock = virtualClock();
    const transport = new InMemoryTransport({
      autoRespond: (f) => {
        if (f.method !== 'turn/interrupt' || answer === 'never') return undefined;
        return answer === 'ack' ? response(f.id as number, {}) : errorResponse(f.id as number, -32600, 'no active turn to interrupt');
      },
    });
    const connection = new JsonRpcConnection(transport, { scheduler: clock.scheduler, requestTimeoutMs: 1_000 });
    await connection.start();
    const subject = new Interrupts(
      new EngineRequests(connection, () => null),
      new TurnRouter(new BufferBudget(1 << 20)),
      clock.scheduler,
      1_000,
    );
    return { clock, transport, connection, subject, sent: () => transport.sentWithMethod('turn/interrupt').length };
  }

  it('a detached interrupt of a turn that never starts nor ends is sent at the request timeout, then forgotten', async () => {
    const { clock, connection, subject, sent } = await interrupts('never');
    const ended = jest.fn();
    subject.interruptLater('thr-1', 'turn-1', false, ended);
    expect(subject.size).toBeGreaterThan(0);
    await clock.advance(999);
    expect(sent()).toBe(0);
    await clock.advance(1);
    expect(sent()).toBe(1);
    // The server does not answer either: the request times out, and the turn counts as ended.
    await clock.advance(1_000);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(subject.size).toBe(0);
    expect(connection.pendingCount).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    subject.onStarted('turn-1');
    expect(sent()).toBe(1);
    await connection.close();
  });

  it('without an `ended` callback too (a resumed continuation left): nothing stays', async () => {
    const { clock, connection, subject, sent } = await interrupts('refuse');
    subject.interruptLater('thr-1', 'turn-1', false);
    await clock.advance(1_000);
    expect(sent()).toBe(1);
    expect(subject.size).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    await connection.close();
  });

  it('its thread going idle forgets it: the turn is over', async () => {
    const { clock, connection, subject, sent } = await interrupts('ack');
    const ended = jest.fn();
    subject.interruptLater('thr-1', 'turn-1', false, ended);
    subject.onThreadIdle('thr-1');
    expect(ended).toHaveBeenCalledTimes(1);
    expect(subject.size).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    subject.onStarted('turn-1');
    expect(sent()).toBe(0);
    await connection.close();
  });

  it('turn/started sends it; turn/completed then ends it', async () => {
    const { clock, connection, subject, sent } = await interrupts('ack');
    const ended = jest.fn();
    subject.interruptLater('thr-1', 'turn-1', false, ended);
    subject.onStarted('turn-1'); // what the engine does with a turn/started no session took
    await clock.settle();
    expect(sent()).toBe(1);
    subject.onEnded('turn-1');
    expect(ended).toHaveBeenCalledTimes(1);
    expect(subject.size).toBe(0);
    await connection.close();
  });
});
