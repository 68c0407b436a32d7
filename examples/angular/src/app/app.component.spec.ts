import '@angular/compiler'; // JIT: the @Component decorator compiles at run time in tests
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { platformServerTesting, ServerTestingModule } from '@angular/platform-server/testing';
import { FakeAppServer } from 'codex-rx/testing';
import { provideCodex } from 'codex-rx/angular';
import { AppComponent } from './app.component';

// Node has no DOM: the server platform (domino) gives TestBed its document.
TestBed.initTestEnvironment(ServerTestingModule, platformServerTesting());

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A turn that asks to run `touch x`, and runs it or not as the answer says, then streams its answer. */
function approvingServer(): FakeAppServer {
  return new FakeAppServer({
    script: async (t) => {
      const decision = await t.approval({ itemId: 'c1', command: 'touch x', reason: 'wants a file' });
      t.command('touch x', { id: 'c1', status: decision === 'accept' ? 'completed' : 'declined' });
      t.message(`ran: ${String(decision)}`, { id: 'm1', deltas: ['ran: ', String(decision)] });
    },
  });
}

describe('AppComponent on codex-rx/angular (TestBed, zoneless)', () => {
  afterEach(() => TestBed.resetTestingModule());

  it.each([
    ['accept', 'completed'],
    ['decline', 'declined'],
  ] as const)('connects, streams a turn, and %s on the approval leaves the command %s', async (decision, status) => {
    const server = approvingServer();
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideCodex({ transport: () => server.transport, options: { approvalMode: 'manual' } }),
      ],
    });
    const app = TestBed.runInInjectionContext(() => new AppComponent());
    expect(app.sameRxjs).toBe(true);
    await settle();
    expect(app.connection()).toMatch(/^connected: codex-rx\//);

    const input = { value: 'please touch x' } as HTMLInputElement;
    app.send({ preventDefault: () => undefined } as Event, input);
    expect(input.value).toBe('');
    expect(app.turn.status()).toBe('running');
    await settle();
    const [asked] = app.turn.pendingApprovals();
    expect(asked).toMatchObject({ kind: 'command', command: 'touch x', reason: 'wants a file' });
    expect(app.describe(asked!)).toBe('touch x');
    await app.turn.answer(asked!, decision);
    await settle();
    expect(server.serverRequests.map((r) => r.answer)).toEqual([{ id: 0, result: { decision } }]);
    expect(app.turn.status()).toBe('done');
    expect(app.turn.text()).toBe(`ran: ${decision}`);
    expect(app.turn.deltas()).toBe(2);
    expect(app.commands()).toEqual([{ id: 'c1', command: 'touch x', status }]);
    expect(app.turn.pendingApprovals()).toEqual([]);
    expect(app.error()).toBeNull();
  });

  it('shows a failed turn with its error', async () => {
    const server = new FakeAppServer({ script: (t) => t.fail('the model refused') });
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideCodex({ transport: () => server.transport })] });
    const app = TestBed.runInInjectionContext(() => new AppComponent());
    app.send({ preventDefault: () => undefined } as Event, { value: 'go' } as HTMLInputElement);
    await settle();
    expect(app.turn.status()).toBe('failed');
    expect(app.error()).toMatch(/^CodexProtocolError: .*the model refused/);
  });
});
