/**
 * chatOnce consumes its turn with a `OnceRun` (no operator chain); chat() and chatEvents() with
 * `inactivityTimeout` and `takeUntilTurnEnd`. The same turn must end the same way through both:
 * each scenario runs through chatOnce and through chatEvents, on a virtual clock, and the two
 * outcomes (when, how, with which continuation) must be equal, and as expected.
 */
import { lastValueFrom } from 'rxjs';
import { CodexTurnInactiveError } from '../../src/errors';
import type { ClientOptions } from '../../src/options';
import { FakeAppServer, type TurnScript } from '../../src/testing/fake-server';
import { virtualClock } from '../support/marbles';
import { ZERO_STATS } from '../support/stats';
import { closeAfterEach, virtualFakeApp } from '../support/client-fixture';

interface Outcome {
  /** Virtual ms when the call settled (null: still running when the scenario stopped). */
  at: number | null;
  finalText?: string;
  error?: string;
  message?: string;
  cursor?: number;
}

type Way = 'chatOnce' | 'chatEvents';

/** Runs `script` through one way of consuming a turn, for up to 10 virtual seconds. */
async function outcome(way: Way, script: TurnScript, idleMs: number | undefined, options: ClientOptions = {}): Promise<Outcome> {
  const { clock, client } = virtualFakeApp({ script }, options);
  const opts = idleMs === undefined ? {} : { inactivityTimeoutMs: idleMs };
  const call: Promise<string> =
    way === 'chatOnce'
      ? client.chatOnce('go', opts).then((r) => r.finalText)
      : lastValueFrom(client.chatEvents('go', opts)).then((e) => (e.type === 'completed' ? e.result.finalText : `last event ${e.type}`));
  const result: Outcome = { at: null };
  call.then(
    (finalText) => Object.assign(result, { at: clock.now(), finalText }),
    (err: Error) =>
      Object.assign(result, {
        at: clock.now(),
        error: err.name,
        message: err.message,
        ...(err instanceof CodexTurnInactiveError ? { cursor: err.continuation.cursor } : {}),
      }),
  );
  for (let i = 0; i < 40 && result.at === null; i++) await clock.advance(250);
  await clock.settle();
  if (result.at !== null) {
    // Whatever the outcome, nothing of the turn is left (no session, no timer) but a timed-out turn, which still runs on its thread.
    const timed = result.error === 'CodexTurnInactiveError';
    expect(client.stats).toEqual({
      ...ZERO_STATS,
      turns: timed ? 1 : 0,
      busyThreads: timed ? 1 : 0,
      bufferedBytes: client.stats.bufferedBytes,
    });
    if (!timed) expect(clock.scheduler.actions.filter((a) => !a.closed)).toHaveLength(0);
  }
  return result;
}

async function both(script: TurnScript, idleMs?: number, options?: ClientOptions): Promise<Outcome> {
  const once = await outcome('chatOnce', script, idleMs, options);
  const events = await outcome('chatEvents', script, idleMs, options);
  // The events' continuation counts the events a chatEvents consumer was handed, the same frames.
  expect(once).toEqual(events);
  return once;
}

describe('chatOnce and chatEvents end a turn the same way', () => {
  it('activity moves the deadline: the turn times out idleMs after its last frame, with the cursor of what was delivered', async () => {
    const o = await both(async (t) => {
      t.message('first', { id: 'm1' });
      await t.wait(600);
      t.reasoning('still thinking', { id: 'r1' });
      t.keepOpen();
    }, 1_000);
    expect(o).toEqual({ at: 1_600, error: 'CodexTurnInactiveError', message: 'turn inactive for 1000 ms', cursor: expect.any(Number) });
    expect(o.cursor).toBeGreaterThanOrEqual(5);
  });

  it('retry notices are not activity: a server that keeps retrying times out', async () => {
    const o = await both(async (t) => {
      t.message('first', { id: 'm1' });
      for (;;) {
        await t.wait(300);
        t.error('stream disconnected; retrying', { willRetry: true });
      }
    }, 1_000);
    expect(o).toMatchObject({ at: 1_000, error: 'CodexTurnInactiveError' });
  });

  it('an interrupted turn fails with CodexProtocolError "turn interrupted"', async () => {
    const o = await both((t) => {
      t.message('partial', { id: 'm1' });
      t.complete({ status: 'interrupted' });
    });
    expect(o).toEqual({ at: 0, error: 'CodexProtocolError', message: 'turn interrupted' });
  });

  it('a failed turn fails with the message of its error', async () => {
    const o = await both((t) => {
      t.complete({ status: 'failed', error: 'model overloaded' });
    });
    expect(o).toEqual({ at: 0, error: 'CodexProtocolError', message: 'model overloaded' });
  });

  it('a completed turn resolves with its last agent message, and leaves no timer behind', async () => {
    const o = await both(async (t) => {
      t.message('one', { id: 'm1' });
      await t.wait(400);
      t.message('two', { id: 'm2' });
    }, 1_000);
    expect(o).toEqual({ at: 400, finalText: 'two' });
  });

  it('a malformed turn/completed completes the turn (non-strict) or fails it (strict)', async () => {
    const noStatus: TurnScript = (t) => {
      t.message('the answer', { id: 'm1' });
      t.send({ method: 'turn/completed', params: { threadId: t.threadId, turn: { id: t.turnId } } });
      t.keepOpen();
    };
    expect(await both(noStatus)).toEqual({ at: 0, finalText: 'the answer' });
    expect(await both(noStatus, undefined, { strict: true })).toEqual({
      at: 0,
      error: 'CodexProtocolError',
      message: expect.stringMatching(/^malformed turn\/completed/),
    });
  });
});

describe('chatOnce inactivity deadlines share one timer', () => {
  it('concurrent turns with different limits each time out at their own time, and a resumed one completes', async () => {
    const clock = virtualClock();
    const server = new FakeAppServer({
      scheduler: clock.scheduler,
      script: async (t) => {
        t.message('early', { id: 'm1' });
        await t.wait(5_000);
        t.message('late', { id: 'm2' });
      },
    });
    const client = server.client();
    closeAfterEach(client);
    const settledAt = new Map<number, number>();
    const errors = new Map<number, CodexTurnInactiveError>();
    const limits = [3_000, 1_000, 2_000];
    limits.forEach((ms) =>
      client.chatOnce('go', { inactivityTimeoutMs: ms }).catch((err: CodexTurnInactiveError) => {
        settledAt.set(ms, clock.now());
        errors.set(ms, err);
      }),
    );
    await clock.advance(3_000);
    expect([...settledAt]).toEqual([
      [1_000, 1_000],
      [2_000, 2_000],
      [3_000, 3_000],
    ]);
    // One of them resumed: its turn goes on, and it gets the final answer.
    const resumed = client.chatOnce(undefined, { continuation: errors.get(2_000)!.continuation });
    await clock.advance(2_000);
    await expect(resumed).resolves.toMatchObject({ finalText: 'late' });
  });
});
