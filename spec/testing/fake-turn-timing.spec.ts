import { CodexTurnInactiveError } from '../../src/errors';
import type { TurnEvent } from '../../src/models';
import { flushMicrotasks, FakeTurnEndedError } from '../../src/testing';
import { newScheduler, virtualClock } from '../support/marbles';
import { fakeApp } from '../support/client-fixture';
import { caught, collect, later, wire } from '../support/fake-app';

describe('FakeAppServer: timing and faults', () => {
  it('script waits run in virtual time', async () => {
    const clock = virtualClock();
    const { client } = fakeApp(
      {
        scheduler: clock.scheduler,
        routineFrames: { userMessage: false },
        script: async (turn) => {
          turn.message('first');
          await turn.wait(5_000);
          turn.message('second');
        },
      },
      { requestTimeoutMs: 60_000 },
    );
    const steps: Array<string | null> = [];
    let completed = false;
    client.chat('go').subscribe({ next: (s) => steps.push(s.text), complete: () => (completed = true) });
    await clock.settle();
    expect(steps).toEqual(['first']);
    await clock.advance(4_999);
    expect([steps, completed]).toEqual([['first'], false]);
    await clock.advance(1);
    expect([steps, completed]).toEqual([['first', 'second'], true]);
    expect(clock.now()).toBe(5_000);
  });

  it('a TestScheduler outside run() is a virtual clock too', async () => {
    const clock = virtualClock(newScheduler());
    const { server, client } = fakeApp(
      {
        scheduler: clock.scheduler,
        routineFrames: { userMessage: false },
        script: async (turn) => {
          await turn.wait(250);
          turn.message('after 250 ms');
        },
      },
      { requestTimeoutMs: 60_000 },
    );
    const result = later(client.chatOnce('go'));
    await clock.advance(249);
    expect(server.turns[0]!.status).toBe('inProgress');
    await clock.advance(1);
    expect((await result).finalText).toBe('after 250 ms');
    expect(clock.now()).toBe(250);
  });

  it('a silent script times out the client in virtual time; the continuation gets the rest', async () => {
    const clock = virtualClock();
    const { client } = fakeApp(
      {
        scheduler: clock.scheduler,
        routineFrames: { userMessage: false },
        script: async (turn) => {
          turn.message('first');
          await turn.wait(10_000);
          turn.message('late');
        },
      },
      { inactivityTimeoutMs: 3_000, requestTimeoutMs: 60_000 },
    );
    let error: unknown;
    client.chat('go').subscribe({ error: (e) => (error = e) });
    await clock.advance(3_000);
    expect(error).toBeInstanceOf(CodexTurnInactiveError);
    expect(clock.now()).toBe(3_000);
    const rest: Array<string | null> = [];
    let completed = false;
    client.chat(undefined, { continuation: (error as CodexTurnInactiveError).continuation, inactivityTimeoutMs: null }).subscribe({
      next: (s) => rest.push(s.text),
      complete: () => (completed = true),
    });
    await clock.advance(7_000);
    expect([rest, completed]).toEqual([['late'], true]);
  });

  it('complete({ sendTurnCompleted: false }): idle without turn/completed; the client recovers through thread/turns/list', async () => {
    const { server, client } = fakeApp(
      {
        script: (turn) => {
          turn.message('answer');
          turn.complete({ sendTurnCompleted: false });
        },
      },
      { idleGraceMs: 1 },
    );
    const events: TurnEvent[] = await collect(client.chatEvents('go'));
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'answer' } });
    expect(wire(server)).not.toContain('turn/completed');
    // Every item: the turn is reconciled with the stored items it missed (see IdleRecovery).
    expect(server.requestsOf('thread/turns/list').map((r) => r.params)).toEqual([
      { threadId: 'thr-1', sortDirection: 'desc', limit: 10, itemsView: 'full' },
    ]);
    // thread/read with includeTurns draws a deprecationNotice from current servers: not used.
    expect(server.requestsOf('thread/read')).toEqual([]);
  });

  it('keepOpen(): the turn runs on after the script until the test ends it', async () => {
    const { server, client } = fakeApp({
      routineFrames: { userMessage: false },
      script: (turn) => {
        turn.message('partial');
        turn.keepOpen();
      },
    });
    const steps: Array<string | null> = [];
    const done = new Promise<void>((resolve) => client.chat('go').subscribe({ next: (s) => steps.push(s.text), complete: resolve }));
    while (steps.length === 0) await flushMicrotasks();
    expect(server.turns[0]!.status).toBe('inProgress');
    server.turns[0]!.message('rest');
    server.turns[0]!.complete();
    await done;
    expect(steps).toEqual(['partial', 'rest']);
  });

  it('hold(): turn/start is answered when the script says so (here after 1 s of virtual time)', async () => {
    const clock = virtualClock();
    const { server, client } = fakeApp({
      scheduler: clock.scheduler,
      script: async (turn) => {
        turn.hold();
        await turn.wait(1_000);
        turn.message('late start');
      },
    });
    const result = later(client.chatOnce('go'));
    await clock.advance(999);
    expect(wire(server)).not.toContain('response 3');
    await clock.advance(1);
    expect((await result).finalText).toBe('late start');
    expect(wire(server).slice(3, 5)).toEqual(['response 3', 'thread/status/changed']);
  });

  it('a turn ended by its script drops its pending approval (serverRequest/resolved) and its helpers throw FakeTurnEndedError', async () => {
    const seen: unknown[] = [];
    const { server, client } = fakeApp(
      {
        script: async (turn) => {
          const pending = turn.approval({ command: 'deploy' });
          turn.message('giving up');
          turn.complete();
          await pending.catch((err) => seen.push(err));
          try {
            turn.message('too late');
          } catch (err) {
            seen.push(err);
          }
        },
      },
      { approvalMode: 'manual' },
    );
    expect((await client.chatOnce('go')).finalText).toBe('giving up');
    await flushMicrotasks();
    expect(seen).toEqual([expect.any(FakeTurnEndedError), expect.any(FakeTurnEndedError)]);
    expect((seen[0] as FakeTurnEndedError).reason).toBe('completed');
    expect(wire(server).slice(-4)).toEqual([
      'thread/tokenUsage/updated',
      'serverRequest/resolved',
      'thread/status/changed',
      'turn/completed',
    ]);
    expect(client.stats.pendingApprovals).toBe(0);
    expect(server.errors).toEqual([]);
  });

  it('a dropped connection rejects the waits of running scripts, quietly', async () => {
    const clock = virtualClock();
    let seen: unknown;
    const { server, client } = fakeApp({
      scheduler: clock.scheduler,
      script: async (turn) => {
        turn.message('working');
        await turn.wait(60_000).catch((err) => {
          seen = err;
          throw err;
        });
      },
    });
    const failed = caught(client.chatOnce('go'));
    await clock.settle();
    server.transport.fail(new Error('cable cut'));
    expect((await failed).message).toMatch(/cable cut/);
    await clock.settle();
    expect(seen).toEqual(expect.any(FakeTurnEndedError));
    expect((seen as FakeTurnEndedError).reason).toBe('closed');
    expect(server.errors).toEqual([]);
  });

  it('turn.error() sends a retrying error notification and the turn goes on', async () => {
    const { server, client } = fakeApp({
      script: (turn) => {
        turn.error('stream disconnected, retrying');
        turn.message('recovered');
      },
    });
    const result = await client.chatOnce('go');
    expect(result.finalText).toBe('recovered');
    const error = server.sent.find((f) => (f as { method?: string }).method === 'error');
    expect(error).toMatchObject({ params: { error: { message: 'stream disconnected, retrying' }, willRetry: true, turnId: 'turn-1' } });
  });
});
