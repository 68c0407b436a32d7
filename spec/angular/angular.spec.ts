/**
 * `codex-rx/angular` under Angular's TestBed (zoneless, no decorators): the provider, injectCodex,
 * and the signal helpers over the live thread view, against the fake app-server.
 */
import { TestBed } from '@angular/core/testing';
import { platformServerTesting, ServerTestingModule } from '@angular/platform-server/testing';
import { provideZonelessChangeDetection, signal } from '@angular/core';
import { chatTurn, injectCodex, provideCodex, threadSignals, threadViewResource } from '../../src/angular';
import { CodexClient } from '../../src/client';
import { FakeAppServer } from '../../src/testing/fake-server';

TestBed.initTestEnvironment(ServerTestingModule, platformServerTesting());

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A turn that asks before running `make` when the text says so, then streams its answer. */
function fakeServer(): FakeAppServer {
  return new FakeAppServer({
    script: async (turn) => {
      if (turn.text.startsWith('RUN')) {
        const decision = await turn.approval({ command: 'make', reason: 'build' });
        turn.command('make', { status: decision === 'accept' ? 'completed' : 'declined' });
      }
      turn.message(`Echo: ${turn.text}`, { deltas: ['Echo: ', turn.text] });
    },
  });
}

function setup(server = fakeServer()) {
  // Manual approvals: the user answers them (through the signals), not a handler.
  TestBed.configureTestingModule({
    providers: [provideZonelessChangeDetection(), provideCodex({ transport: () => server.transport, options: { approvalMode: 'manual' } })],
  });
  return { server, client: TestBed.runInInjectionContext(() => injectCodex()) };
}

afterEach(() => TestBed.resetTestingModule());

describe('provideCodex / injectCodex', () => {
  it('gives one client per injector, closed with it', async () => {
    const { server, client } = setup();
    expect(client).toBeInstanceOf(CodexClient);
    expect(TestBed.runInInjectionContext(() => injectCodex())).toBe(client);
    await client.initialize();
    TestBed.resetTestingModule();
    await settle();
    expect(server.transport.closed).toBe(true);
  });

  it('takes a client factory, run in the injection context', () => {
    const made = new FakeAppServer().client();
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideCodex({ client: () => made })] });
    expect(TestBed.runInInjectionContext(() => injectCodex())).toBe(made);
  });
});

describe('threadSignals', () => {
  it("follows a thread: stored turns, the answer's text as it grows, pending approvals, status", async () => {
    const { client } = setup();
    const thread = await client.startThread();
    await thread.chatOnce('first');
    const s = TestBed.runInInjectionContext(() => threadSignals(thread.threadId));
    await settle();
    expect(s.turns().map((t) => t.status)).toEqual(['completed']);
    expect(s.text()).toBe('Echo: first');
    const first = s.turns()[0];

    let release: () => void = () => undefined;
    client.setApprovalHandler(() => new Promise<'accept'>((r) => (release = () => r('accept'))));
    const second = thread.chatOnce('RUN make');
    await settle();
    expect(s.pendingApprovals().map((a) => [a.kind, a.reason])).toEqual([['command', 'build']]);
    expect(s.lastTurn()?.status).toBe('inProgress');
    expect(s.turns()[0]).toBe(first); // unchanged turn, same object
    release();
    await second;
    await settle();
    expect(s.pendingApprovals()).toEqual([]);
    expect(s.text()).toBe('Echo: RUN make');
    expect(s.status()).toEqual({ type: 'idle' });
    expect(s.error()).toBeNull();
  });

  it('follows a thread id signal', async () => {
    const { client } = setup();
    const a = await client.startThread();
    await a.chatOnce('in a');
    const id = signal<string | null>(null);
    const s = TestBed.runInInjectionContext(() => threadSignals(id));
    TestBed.tick();
    await settle();
    expect(s.view()).toBeNull();
    id.set(a.threadId);
    TestBed.tick();
    await settle();
    expect(s.text()).toBe('Echo: in a');
  });
});

describe('threadViewResource', () => {
  it('is an rxResource of the view', async () => {
    const { client } = setup();
    const thread = await client.startThread();
    await thread.chatOnce('hello');
    const r = TestBed.runInInjectionContext(() => threadViewResource(() => thread.threadId));
    TestBed.tick();
    await settle();
    expect(r.value()?.turns.map((t) => t.status)).toEqual(['completed']);
  });
});

describe('chatTurn', () => {
  it('runs a turn: status, streamed text and deltas, the approval answered from the signals', async () => {
    setup();
    const turn = TestBed.runInInjectionContext(() => chatTurn());
    expect(turn.status()).toBe('idle');
    turn.send('RUN make');
    expect(turn.status()).toBe('running');
    await settle();
    expect(turn.pendingApprovals().map((a) => a.reason)).toEqual(['build']);
    await turn.answer(turn.pendingApprovals()[0]!, 'decline');
    // Gone at once, before the server confirms it.
    expect(turn.pendingApprovals()).toEqual([]);
    await settle();
    expect(turn.status()).toBe('done');
    expect(turn.text()).toBe('Echo: RUN make');
    expect(turn.deltas()).toBe(2);
    expect(turn.pendingApprovals()).toEqual([]);
    expect(
      turn
        .turn()
        ?.items.filter((i) => i.type === 'commandExecution')
        .map((i) => (i as { status: string }).status),
    ).toEqual(['declined']);
    expect(turn.result()?.finalText).toBe('Echo: RUN make');
  });

  it('a failed turn: status failed with its error', async () => {
    setup(new FakeAppServer({ script: (t) => t.fail('no luck') }));
    const turn = TestBed.runInInjectionContext(() => chatTurn());
    turn.send('x');
    await settle();
    expect(turn.status()).toBe('failed');
    expect(String((turn.error() as Error).message)).toContain('no luck');
  });
});
