import '@angular/compiler'; // JIT: compiles @Injectable at run time in tests
import { TestBed } from '@angular/core/testing';
import { platformServerTesting, ServerTestingModule } from '@angular/platform-server/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { FakeAppServer, type InMemoryTransport } from 'codex-rx/testing';
import { CodexTransportError } from 'codex-rx';
import { CODEX_CLIENT, CODEX_TRANSPORT, CodexChatService, type ChatView } from './codex-chat.service';

// Node has no DOM: the server platform (domino) gives TestBed its document.
TestBed.initTestEnvironment(ServerTestingModule, platformServerTesting());

/** A scripted app-server: a turn that reasons, then streams "Hello from Codex" in three deltas. */
function scriptedServer(): InMemoryTransport {
  const server = new FakeAppServer({
    script: (t) => {
      t.reasoning(['Greeting the user'], { id: 'r1', deltas: false });
      t.message('Hello from Codex', { id: 'm1', deltas: ['Hello ', 'from ', 'Codex'] });
    },
  });
  return server.transport;
}

/** A turn that asks to run `touch x`, and runs it or not as the answer says. */
function approvingServer(): InMemoryTransport {
  const server = new FakeAppServer({
    script: async (t) => {
      const decision = await t.approval({ itemId: 'c1', command: 'touch x', reason: 'wants a file' });
      const status = decision === 'accept' ? 'completed' : 'declined';
      t.command('touch x', { id: 'c1', status });
      t.message(status, { id: 'm1' });
    },
  });
  return server.transport;
}

describe('CodexChatService approvals (manual: the user answers)', () => {
  afterEach(() => TestBed.resetTestingModule());

  it.each([
    [true, 'accept', 'completed'],
    [false, 'decline', 'declined'],
  ])('view$ lists the pending request; answer(approve=%s) sends %s and the command ends %s', async (approve, decision, status) => {
    const transport = approvingServer();
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), { provide: CODEX_TRANSPORT, useValue: transport }] });
    const service = TestBed.inject(CodexChatService);
    const view$ = service.view$('please touch x');
    const all = lastValueFrom(view$.pipe(toArray()));
    const asking = await firstValueFrom(view$.pipe(filter((v: ChatView) => v.approvals.length > 0)));
    expect(asking.approvals[0]).toMatchObject({ kind: 'command', command: 'touch x', reason: 'wants a file' });
    await service.answer(asking.approvals[0]!, approve);
    const views = await all;
    expect(transport.sent.find((f) => f.id === 0)).toEqual({ id: 0, result: { decision } });
    const last = views[views.length - 1]!;
    expect(last).toMatchObject({ status: 'done', text: status, approvals: [], commands: [{ itemId: 'c1', command: 'touch x', status }] });
  });
});

describe('CodexChatService (Angular, TestBed)', () => {
  let transport: InMemoryTransport;

  beforeEach(() => {
    transport = scriptedServer();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), { provide: CODEX_TRANSPORT, useValue: transport }],
    });
  });

  afterEach(() => TestBed.resetTestingModule());

  it('is provided in root, with its client made by the CODEX_CLIENT factory from CODEX_TRANSPORT', () => {
    const service = TestBed.inject(CodexChatService);
    expect(service).toBe(TestBed.inject(CodexChatService));
    expect(transport.started).toBe(false); // nothing happens before a subscription
    expect(TestBed.inject(CODEX_CLIENT).stats.pendingRequests).toBe(0);
  });

  it('text$ accumulates the streamed deltas', async () => {
    const service = TestBed.inject(CodexChatService);
    const texts = await lastValueFrom(service.text$('Say hello').pipe(toArray()));
    expect(texts).toEqual(['Hello ', 'Hello from ', 'Hello from Codex']);
    expect(transport.sentWithMethod('turn/start')[0]).toMatchObject({ params: { input: [{ type: 'text', text: 'Say hello' }] } });
  });

  it('text$ and view$ turn into signals with toSignal', async () => {
    const service = TestBed.inject(CodexChatService);
    const text = TestBed.runInInjectionContext(() => toSignal(service.text$('Say hello'), { initialValue: '' }));
    const view = TestBed.runInInjectionContext(() => toSignal(service.view$('Again'), { requireSync: true }));
    expect(text()).toBe('');
    expect(view().status).toBe('waiting');
    const until = Date.now() + 5_000;
    while ((text() !== 'Hello from Codex' || view().status !== 'done') && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(text()).toBe('Hello from Codex');
    expect(view()).toMatchObject({ status: 'done', text: 'Hello from Codex', steps: 3 });
    expect(view().result?.finalText).toBe('Hello from Codex');
  });

  it('chatEvents emits the whole turn, ending with completed', async () => {
    const events = await lastValueFrom(TestBed.inject(CodexChatService).chatEvents('Say hello').pipe(toArray()));
    expect(events.map((e) => e.type)).toEqual(['started', 'step', 'step', 'delta', 'delta', 'delta', 'step', 'usage', 'completed']);
  });

  it('destroying the injector closes the client through DestroyRef', async () => {
    const service = TestBed.inject(CodexChatService);
    const client = TestBed.inject(CODEX_CLIENT);
    await lastValueFrom(service.text$('Say hello'));
    expect(transport.closed).toBe(false);
    TestBed.resetTestingModule();
    await new Promise((r) => setImmediate(r));
    expect(transport.closed).toBe(true);
    await expect(client.start()).rejects.toThrow(CodexTransportError);
  });
});
