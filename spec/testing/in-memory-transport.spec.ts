import { CodexTransportError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { InvalidLine } from '../../src/streams/ndjson';
import { agentDelta, InMemoryTransport, notification, response } from '../../src/testing';
import { newScheduler } from '../support/marbles';

describe('InMemoryTransport', () => {
  it('plays an inbound$ marble script from start(): objects are frames, strings are raw lines', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inbound = cold('--a--b--c', {
        a: notification('warning', { message: 'w' }),
        b: 'not json',
        c: '{"id":1,"result":{}}',
      });
      const transport = new InMemoryTransport(inbound);
      void transport.start();
      expectObservable(transport.messages$).toBe('--a--b--c', {
        a: { method: 'warning', params: { message: 'w' }, emittedAtMs: expect.any(Number) },
        b: new InvalidLine('not json', 8, expect.any(String) as unknown as string),
        c: { id: 1, result: {} },
      });
      expectSubscriptions(inbound.subscriptions).toBe('^');
    });
  });

  it('does not subscribe inbound$ before start(), and keeps the connection up when the script completes', () => {
    newScheduler().run(({ cold, expectSubscriptions, flush }) => {
      const inbound = cold('-a|', { a: { method: 'x' } });
      const transport = new InMemoryTransport(inbound);
      flush();
      expectSubscriptions(inbound.subscriptions).toBe([]);
      expect(transport.started).toBe(false);
    });
    newScheduler().run(({ cold, expectObservable }) => {
      const transport = new InMemoryTransport(cold('-a|', { a: { method: 'x' } }));
      void transport.start();
      expectObservable(transport.messages$).toBe('-a', { a: { method: 'x' } });
    });
  });

  it('an inbound$ error kills the transport with CodexTransportError', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const transport = new InMemoryTransport(cold('-a-#', { a: { method: 'x' } }, new Error('wire cut')));
      void transport.start();
      expectObservable(transport.messages$).toBe(
        '-a-#',
        { a: { method: 'x' } },
        expect.objectContaining({ name: 'CodexTransportError', message: 'wire cut' }),
      );
    });
  });

  it('queues frames received before start() and delivers them at start()', async () => {
    const t = new InMemoryTransport();
    const seen: unknown[] = [];
    t.messages$.subscribe((m) => seen.push(m));
    t.receive({ method: 'a' });
    t.receiveLine('{"method":"b"}');
    expect(seen).toEqual([]);
    await t.start();
    expect(seen).toEqual([{ method: 'a' }, { method: 'b' }]);
    expect(t.started).toBe(true);
  });

  it('delivers frames as the wire would: a copy, with undefined fields dropped', async () => {
    const t = new InMemoryTransport();
    await t.start();
    const seen: unknown[] = [];
    t.messages$.subscribe((m) => seen.push(m));
    const frame = { method: 'a', params: { x: 1, gone: undefined } };
    t.receive(frame);
    expect(seen).toEqual([{ method: 'a', params: { x: 1 } }]);
    expect(seen[0]).not.toBe(frame);
    expect(Object.keys((seen[0] as { params: object }).params)).toEqual(['x']);
  });

  it('frames raw chunks through NDJSON: split lines, split UTF-8, garbage', async () => {
    const t = new InMemoryTransport();
    await t.start();
    const seen: unknown[] = [];
    t.messages$.subscribe((m) => seen.push(m));
    const bytes = Buffer.from('{"s":"€"}\n', 'utf8');
    t.receiveChunk(bytes.subarray(0, 7)); // inside the euro sign
    t.receiveChunk(bytes.subarray(7));
    t.receiveChunk('{"n":');
    t.receiveChunk('1}\n<html>\n');
    expect(seen.slice(0, 2)).toEqual([{ s: '€' }, { n: 1 }]);
    expect(seen[2]).toBeInstanceOf(InvalidLine);
    expect((seen[2] as InvalidLine).line).toBe('<html>');
  });

  it('send() throws CodexTransportError before start() and after close(); records parsed frames', async () => {
    const t = new InMemoryTransport();
    expect(() => t.send('{}')).toThrow(CodexTransportError);
    await t.start();
    const live: object[] = [];
    t.sent$.subscribe((f) => live.push(f));
    t.send('{"id":1,"method":"initialize"}');
    t.send('{"method":"initialized"}');
    expect(t.sent).toEqual([{ id: 1, method: 'initialize' }, { method: 'initialized' }]);
    expect(t.sentLines).toEqual(['{"id":1,"method":"initialize"}', '{"method":"initialized"}']);
    expect(live).toEqual(t.sent);
    expect(t.sentWithMethod('initialized')).toEqual([{ method: 'initialized' }]);
    expect(t.lastSent).toEqual({ method: 'initialized' });
    expect(() => t.send('not json')).toThrow(TypeError);
    await t.close();
    expect(() => t.send('{}')).toThrow(CodexTransportError);
  });

  it('close() completes messages$, diagnostics$ and sent$; is idempotent; start() afterwards rejects', async () => {
    const t = new InMemoryTransport();
    await t.start();
    const done: string[] = [];
    t.messages$.subscribe({ complete: () => done.push('messages') });
    t.diagnostics$.subscribe({ complete: () => done.push('diagnostics') });
    t.sent$.subscribe({ complete: () => done.push('sent') });
    await t.close();
    await t.close();
    expect(done).toEqual(['messages', 'diagnostics', 'sent']);
    expect(t.closed).toBe(true);
    await expect(t.start()).rejects.toBeInstanceOf(CodexTransportError);
    t.receive({ method: 'late' }); // dropped, no throw
  });

  it('fail() errors messages$ with CodexTransportError; exit(code) names the exit code', async () => {
    const a = new InMemoryTransport();
    await a.start();
    let errA: unknown;
    a.messages$.subscribe({ error: (e) => (errA = e) });
    a.fail(new Error('socket reset'));
    expect(errA).toBeInstanceOf(CodexTransportError);
    expect((errA as Error).message).toBe('socket reset');
    expect(a.failure).toBe(errA);

    const b = new InMemoryTransport();
    await b.start();
    let errB: unknown;
    b.messages$.subscribe({ error: (e) => (errB = e) });
    b.exit(3);
    expect(errB).toBeInstanceOf(CodexTransportError);
    expect((errB as CodexTransportError).exitCode).toBe(3);
    expect((errB as Error).message).toContain('exit code 3');
    // a late subscriber sees the same failure
    let late: unknown;
    b.messages$.subscribe({ error: (e) => (late = e) });
    expect(late).toBe(errB);
  });

  it('stderr() emits a stderr diagnostic', async () => {
    const t = new InMemoryTransport();
    const d: Diagnostic[] = [];
    t.diagnostics$.subscribe((x) => d.push(x));
    await t.start();
    t.stderr('2025 WARN codex_core: hello');
    expect(d).toEqual([{ kind: 'stderr', message: '2025 WARN codex_core: hello' }]);
  });

  it('autoRespond answers after send() returns by default (microtask)', async () => {
    const t = new InMemoryTransport({
      autoRespond: (f) => [agentDelta({ threadId: 't', turnId: 'u', itemId: 'i', delta: 'x' }), response(f.id as number, 'ok')],
    });
    await t.start();
    const seen: unknown[] = [];
    t.messages$.subscribe((m) => seen.push(m));
    t.send('{"id":5,"method":"turn/start"}');
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual([expect.objectContaining({ method: 'item/agentMessage/delta' }), { id: 5, result: 'ok' }]);
  });

  it('autoRespond in sync mode answers inside send(); undefined means no answer; strings are raw lines', async () => {
    const t = new InMemoryTransport({
      autoRespondMode: 'sync',
      autoRespond: (f) => (f.method === 'quiet' ? undefined : f.method === 'junk' ? 'garbage!' : response(f.id as number, 1)),
    });
    await t.start();
    const seen: unknown[] = [];
    t.messages$.subscribe((m) => seen.push(m));
    t.send('{"id":1,"method":"a"}');
    expect(seen).toEqual([{ id: 1, result: 1 }]);
    t.send('{"id":2,"method":"quiet"}');
    t.send('{"id":3,"method":"junk"}');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBeInstanceOf(InvalidLine);
  });

  it('startError makes start() reject with CodexTransportError', async () => {
    const t = new InMemoryTransport({ startError: new Error('nope') });
    await expect(t.start()).rejects.toThrow(CodexTransportError);
    expect(t.started).toBe(false);
  });
});
