/**
 * A turn consumed with `for await` (`chatIterable`, `chatEventsIterable`), and a client closed by
 * `await using`. On the fake server and a virtual clock.
 */
import * as vm from 'node:vm';
import { lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { DEFAULTS } from '../../src/defaults';
import { ensureAsyncDispose } from '../../src/dispose';
import { CodexAbortError, CodexBufferOverflowError, CodexTransportError } from '../../src/errors';
import type { ConversationStep, TurnEvent } from '../../src/models';
import type { ClientOptions } from '../../src/options';
import type { TurnScript } from '../../src/testing/fake-server';
import { virtualFakeApp } from '../support/client-fixture';
import { ZERO_STATS } from '../support/stats';

const fakeServer = (script: TurnScript, client: ClientOptions = {}) =>
  virtualFakeApp({ routineFrames: false, script }, { requestTimeoutMs: 10_000, ...client });

const zeroStats = ZERO_STATS;

/** Three steps: reasoning, a command, the answer (with deltas). */
const threeSteps: TurnScript = (t) => {
  t.reasoning('Looking', { id: 'r1' });
  t.command('ls', { id: 'c1', output: 'a b' });
  t.message('Found a and b', { id: 'm1', deltas: ['Found ', 'a and b'] });
};

/** Steps, then runs until interrupted. */
const endless: TurnScript = (t) => {
  for (let i = 1; i <= 3; i++) t.message(`part ${i}`, { id: `m${i}` });
  t.keepOpen();
};

describe('for await over a turn', () => {
  it('chatIterable yields the steps chat() emits, in order, and frees the turn at the end', async () => {
    const { client } = fakeServer(threeSteps);
    const steps: ConversationStep[] = [];
    for await (const step of client.chatIterable('go')) steps.push(step);
    expect(steps.map((s) => [s.stepType, s.itemId, s.text])).toEqual([
      ['thinking', 'r1', 'Looking'],
      ['exec', 'c1', 'ls'],
      ['codex', 'm1', 'Found a and b'],
    ]);
    expect(client.stats).toEqual(zeroStats);
    const viaChat = await lastValueFrom(client.chat('go').pipe(toArray()));
    expect(viaChat.map((s) => s.itemId)).toEqual(steps.map((s) => s.itemId));
  });

  it('chatEventsIterable yields started, deltas, steps and completed (last, with the result)', async () => {
    const { client } = fakeServer(threeSteps);
    const types: string[] = [];
    let answer = '';
    let result: unknown;
    for await (const e of client.chatEventsIterable('go')) {
      types.push(e.type);
      if (e.type === 'delta' && e.itemId === 'm1') answer += e.delta;
      if (e.type === 'completed') result = e.result;
    }
    // the answer's two deltas may arrive merged when the loop body was behind; the text is the same
    const merged = types.filter((t, i) => !(t === 'delta' && types[i - 1] === 'delta'));
    expect(merged).toEqual(['started', 'delta', 'step', 'delta', 'step', 'delta', 'step', 'completed']);
    expect(answer).toBe('Found a and b');
    expect(result).toMatchObject({ finalText: 'Found a and b', turnId: 'turn-1' });
  });

  it('break leaves the turn: no interrupt by default, the turn runs on; with interruptOnUnsubscribe it is interrupted', async () => {
    const { server, client, clock } = fakeServer(endless);
    for await (const step of client.chatIterable('one')) if (step.itemId === 'm1') break;
    // The turn's state is gone; its thread is held until the server ends the turn.
    expect(client.stats).toEqual({ ...zeroStats, busyThreads: 1 });
    await clock.settle();
    expect(server.requestsOf('turn/interrupt')).toEqual([]);
    expect(server.turns[0]!.status).toBe('inProgress');
    server.turns[0]!.complete();
    await clock.settle();
    expect(client.stats).toEqual(zeroStats);

    for await (const step of client.chatIterable('two', { interruptOnUnsubscribe: true })) if (step.itemId === 'm1') break;
    await clock.settle();
    expect(server.requestsOf('turn/interrupt').map((r) => r.params)).toEqual([{ threadId: 'thr-2', turnId: 'turn-2' }]);
    expect(server.turns[1]!.status).toBe('interrupted');
    expect(client.stats).toEqual(zeroStats);
  });

  it('a throw in the loop body leaves the turn (interrupting it with interruptOnUnsubscribe) and reaches the caller', async () => {
    const { server, client, clock } = fakeServer(endless);
    const thread = await client.startThread();
    const loop = async () => {
      for await (const e of thread.chatEventsIterable('go', { interruptOnUnsubscribe: true })) {
        if (e.type === 'step') throw new Error(`cannot render ${e.step.itemId}`);
      }
    };
    await expect(loop()).rejects.toThrow('cannot render m1');
    await clock.settle();
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(client.stats).toEqual(zeroStats);
  });

  it('an abort inside the loop ends it with CodexAbortError and interrupts the turn', async () => {
    const { server, client, clock } = fakeServer(endless);
    const thread = await client.startThread();
    const ac = new AbortController();
    const seen: string[] = [];
    const loop = async () => {
      for await (const step of thread.chatIterable('go', { signal: ac.signal })) {
        seen.push(step.itemId!);
        if (seen.length === 2) ac.abort('seen enough');
      }
    };
    const err = await loop().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexAbortError);
    expect(err).toMatchObject({ reason: 'seen enough', method: 'turn' });
    // the third step had arrived, but an abort ends the loop at once
    expect(seen).toEqual(['m1', 'm2']);
    await clock.settle();
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(client.stats).toEqual(zeroStats);
  });

  describe('a loop body slower than the turn', () => {
    /** Runs `loop` until it takes its first value, lets the whole turn arrive, then lets the loop go on. */
    async function slowLoop<T>(iterable: AsyncIterable<T>, settle: () => Promise<void>) {
      const values: T[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const run = (async () => {
        for await (const v of iterable) {
          values.push(v);
          if (values.length === 1) await gate;
        }
      })().then(
        () => null,
        (e: unknown) => e,
      );
      await settle();
      release();
      return { values, error: await run };
    }

    it('deltas of one item merge when the buffer is full: the text is whole, every step and the end are kept', async () => {
      const text = 'abcdefghijklmnopqrstuvwxyz';
      const { client, clock } = fakeServer((t) => {
        t.message(text, { id: 'm1', deltas: [...text] });
        t.message('second', { id: 'm2', deltas: false });
      });
      const { values, error } = await slowLoop(client.chatEventsIterable('go', { bufferSize: 4 }), () => clock.settle());
      expect(error).toBeNull();
      const deltas = values.filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta');
      expect(deltas.map((d) => d.delta).join('')).toBe(text);
      expect(deltas.length).toBeLessThan(text.length);
      expect(values.filter((e) => e.type === 'step').map((e) => (e as { step: ConversationStep }).step.text)).toEqual([text, 'second']);
      expect(values[values.length - 1]!.type).toBe('completed');
      expect(client.stats).toEqual(zeroStats);
    });

    it("steps do not merge: past bufferSize the loop ends with CodexBufferOverflowError and the turn is left (overflow 'error')", async () => {
      const { server, client, clock } = fakeServer((t) => {
        for (let i = 1; i <= 6; i++) t.message(`s${i}`, { id: `m${i}` });
        t.keepOpen();
      });
      const { values, error } = await slowLoop(client.chatIterable('go', { bufferSize: 2, interruptOnUnsubscribe: true }), () =>
        clock.settle(),
      );
      // one taken, two held, the fourth overflowed
      expect(values.map((s) => s.text)).toEqual(['s1', 's2', 's3']);
      expect(error).toBeInstanceOf(CodexBufferOverflowError);
      expect(error).toMatchObject({ bufferSize: 2 });
      await clock.settle();
      expect(server.turns[0]!.status).toBe('interrupted');
      expect(client.stats).toEqual(zeroStats);
    });

    /**
     * A server that floods deltas of one item while the loop body waits (as a hostile or runaway
     * one could): before, they were all concatenated into one held delta, which past V8's longest
     * string threw inside the source's next() and crashed the process (an uncaught exception).
     */
    async function flood(chunk: string, count: number, options: { bufferBytes?: number }) {
      // The fake sends the flood before the client has bound the turn (turn/start still in flight):
      // the engine's budget for such held frames is raised so that only the loop's bound is tested.
      const script: TurnScript = (t) => {
        for (let i = 0; i < count; i++) t.delta('m1', chunk);
        t.message('after the flood', { id: 'm2', deltas: false });
      };
      const { client, clock } = fakeServer(script, { maxBufferedBytes: 1024 * 1024 * 1024 });
      const { values, error } = await slowLoop(client.chatEventsIterable('go', options), () => clock.settle());
      const received = values
        .filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta')
        .reduce((n, d) => n + d.delta.length, 0);
      return { client, values, error, received };
    }

    it('deltas flooding one item stop merging at bufferBytes: the loop ends with CodexBufferOverflowError, what was held stayed within the bound', async () => {
      const chunk = 'x'.repeat(64 * 1024);
      const bufferBytes = 1024 * 1024;
      const { client, values, error, received } = await flood(chunk, 200, { bufferBytes });
      expect(error).toBeInstanceOf(CodexBufferOverflowError);
      expect(error).toMatchObject({ limit: 'bufferBytes', bufferBytes });
      const { heldBytes } = error as CodexBufferOverflowError;
      expect(heldBytes).toBeLessThanOrEqual(bufferBytes);
      // the text the loop got is what was held: two bytes a character, at most the bound, far from the flood
      expect(received).toBeGreaterThan(0);
      expect(2 * received).toBeLessThanOrEqual(bufferBytes);
      expect(values.some((e) => e.type === 'completed')).toBe(false);
      expect(client.stats).toEqual(zeroStats);
    });

    it('by default the bound is DEFAULTS.iterationBufferBytes: 40 Mi characters of deltas end the loop instead of growing one string', async () => {
      const chunk = 'y'.repeat(1024 * 1024);
      const { error, received } = await flood(chunk, 40, {});
      expect(error).toMatchObject({ name: 'CodexBufferOverflowError', limit: 'bufferBytes', bufferBytes: DEFAULTS.iterationBufferBytes });
      expect((error as CodexBufferOverflowError).heldBytes).toBeLessThanOrEqual(DEFAULTS.iterationBufferBytes);
      expect(2 * received).toBeLessThanOrEqual(DEFAULTS.iterationBufferBytes);
      expect(received).toBeLessThan(40 * chunk.length);
    });

    it("overflow 'dropOldest' keeps the newest steps", async () => {
      const { client, clock } = fakeServer((t) => {
        for (let i = 1; i <= 6; i++) t.message(`s${i}`, { id: `m${i}` });
      });
      const { values, error } = await slowLoop(client.chatIterable('go', { bufferSize: 2, overflow: 'dropOldest' }), () => clock.settle());
      expect(error).toBeNull();
      expect(values.map((s) => s.text)).toEqual(['s1', 's5', 's6']);
    });
  });
});

describe('await using', () => {
  it('closes the client when the scope ends', async () => {
    const { server } = fakeServer(threeSteps);
    let outside: CodexClient | undefined;
    {
      await using client = new CodexClient(server.transport);
      outside = client;
      expect((await client.chatOnce('hi')).finalText).toBe('Found a and b');
    }
    const err = await outside.chatOnce('again').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'closed' });
  });

  it('closes it when the scope is left by a throw, too; an unstarted stdio client disposes cleanly', async () => {
    const { server } = fakeServer(threeSteps);
    let outside: CodexClient | undefined;
    const scope = async () => {
      await using client = new CodexClient(server.transport);
      outside = client;
      await client.start();
      throw new Error('left early');
    };
    await expect(scope()).rejects.toThrow('left early');
    await expect(outside!.start()).rejects.toMatchObject({ name: 'CodexTransportError', code: 'closed' });
    {
      await using stdio = CodexClient.connectStdio({ command: ['codex-rx-no-such-binary'] });
      expect(typeof stdio[Symbol.asyncDispose]).toBe('function');
    }
  });

  it('Symbol.asyncDispose is given to runtimes without it, and a native one is kept', () => {
    const bare = vm.runInNewContext('Symbol') as SymbolConstructor; // a realm without explicit resource management
    expect((bare as { asyncDispose?: symbol }).asyncDispose).toBeUndefined();
    expect(ensureAsyncDispose(bare)).toBe(bare.for('Symbol.asyncDispose'));
    expect(bare.asyncDispose).toBe(bare.for('Symbol.asyncDispose'));
    expect(ensureAsyncDispose()).toBe(Symbol.asyncDispose);
    expect(typeof CodexClient.prototype[Symbol.asyncDispose]).toBe('function');
  });
});
