import { Subscription } from 'rxjs';
import { CodexAbortError, CodexProtocolError, CodexTimeoutError, CodexTransportError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import type { JsonRpcMessage, JsonRpcRequest } from '../../src/protocol/messages';
import { JsonRpcConnection } from '../../src/streams/connection';
import type { ConnectionOptions } from '../../src/options';
import { errorResponse, notification, response, serverRequest } from '../../src/testing/frames';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { countingScheduler } from '../support/counting-scheduler';
import type { InMemoryTransportOptions } from '../../src/testing/in-memory-transport';
import { newScheduler } from '../support/marbles';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Setup {
  transport: InMemoryTransport;
  conn: JsonRpcConnection;
  diagnostics: Diagnostic[];
  frames: JsonRpcMessage[];
  subs: Subscription;
}

async function setup(options: ConnectionOptions = {}, transportOptions: InMemoryTransportOptions = {}): Promise<Setup> {
  const transport = new InMemoryTransport(transportOptions);
  const conn = new JsonRpcConnection(transport, options);
  const diagnostics: Diagnostic[] = [];
  const frames: JsonRpcMessage[] = [];
  const subs = new Subscription();
  subs.add(conn.diagnostics$.subscribe((d) => diagnostics.push(d)));
  subs.add(conn.frames$.subscribe({ next: (f) => frames.push(f), error: () => undefined }));
  await conn.start();
  return { transport, conn, diagnostics, frames, subs };
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

describe('JsonRpcConnection over InMemoryTransport', () => {
  let current: Setup | null = null;
  afterEach(async () => {
    current?.subs.unsubscribe();
    await current?.conn.close();
    current = null;
  });
  const open = async (options?: ConnectionOptions, transportOptions?: InMemoryTransportOptions) =>
    (current = await setup(options, transportOptions));

  it('correlates out-of-order responses by id', async () => {
    const { transport, conn } = await open();
    const a = conn.request('thread/start', { cwd: '/a' });
    const b = conn.request('thread/start', { cwd: '/b' });
    const c = conn.request('model/list', {});
    expect(transport.sent.map((f) => f.id)).toEqual([1, 2, 3]);
    transport.receive(response(3, { data: ['m'] }));
    transport.receive(response(1, { thread: { id: 'A' } }));
    transport.receive(response(2, { thread: { id: 'B' } }));
    await expect(a).resolves.toEqual({ thread: { id: 'A' } });
    await expect(b).resolves.toEqual({ thread: { id: 'B' } });
    await expect(c).resolves.toEqual({ data: ['m'] });
    expect(conn.pendingCount).toBe(0);
  });

  it('ignores a response with an unknown id and reports it once as unmatched-response', async () => {
    const { transport, conn, diagnostics } = await open();
    const p = conn.request('thread/start', {});
    transport.receive(response(99, { nope: true }));
    transport.receive(response(1, { ok: true }));
    await expect(p).resolves.toEqual({ ok: true });
    const unmatched = diagnostics.filter((d) => d.kind === 'unmatched-response');
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]!.message).toContain('99');
    expect(unmatched[0]!.detail).toEqual({ id: 99, result: { nope: true } });
  });

  it('turns a JSON-RPC error into CodexProtocolError with code and data', async () => {
    const { transport, conn } = await open();
    const p = settle(conn.request('thread/start', {}));
    transport.receive(errorResponse(1, -32602, 'Invalid params', { field: 'cwd' }));
    const { error } = await p;
    expect(error).toBeInstanceOf(CodexProtocolError);
    const e = error as CodexProtocolError;
    expect(e.name).toBe('CodexProtocolError');
    expect(e.code).toBe(-32602);
    expect(e.data).toEqual({ field: 'cwd' });
    expect(e.message).toContain('thread/start');
    expect(e.message).toContain('Invalid params');
  });

  it('routes server requests with id 0 and with a string id to the registered handler', async () => {
    const { transport, conn, frames } = await open();
    const seen: JsonRpcRequest[] = [];
    conn.handleServerRequests((r) => seen.push(r));
    transport.receive(serverRequest(0, 'item/commandExecution/requestApproval', { threadId: 't' }));
    transport.receive(serverRequest('req-7', 'item/fileChange/requestApproval', { threadId: 't' }));
    expect(seen.map((r) => [r.id, r.method])).toEqual([
      [0, 'item/commandExecution/requestApproval'],
      ['req-7', 'item/fileChange/requestApproval'],
    ]);
    expect(frames).toHaveLength(2);
    expect(transport.sent).toEqual([]); // the sink answers, not the connection
  });

  it('answers server requests with -32601 when there is no sink (id 0 and string ids alike)', async () => {
    const { transport } = await open();
    transport.receive(serverRequest(0, 'item/tool/call', { x: 1 }));
    transport.receive(serverRequest('abc', 'mcpServer/elicitation/request', {}));
    expect(transport.sent).toEqual([
      { id: 0, error: { code: -32601, message: "unhandled server request 'item/tool/call'" } },
      { id: 'abc', error: { code: -32601, message: "unhandled server request 'mcpServer/elicitation/request'" } },
    ]);
  });

  it('takes one handler of each kind at a time, by registration: unsubscribing gives the slot back (and -32601 again)', async () => {
    const { transport, conn } = await open();
    const seen: unknown[] = [];
    const first = conn.handleServerRequests((r) => seen.push(r.id));
    expect(() => conn.handleServerRequests(() => undefined)).toThrow(/already has a server-request handler/);
    const notes = conn.handleNotifications((n) => seen.push(n.method));
    expect(() => conn.handleNotifications(() => undefined)).toThrow(TypeError);
    transport.receive(serverRequest(1, 'x/y', {}));
    transport.receive(notification('thread/started', { thread: { id: 't' } }));
    first.unsubscribe();
    notes.unsubscribe();
    transport.receive(serverRequest(2, 'x/y', {}));
    transport.receive(notification('thread/started', { thread: { id: 't' } }));
    expect(seen).toEqual([1, 'thread/started']);
    expect(transport.sent).toEqual([{ id: 2, error: { code: -32601, message: "unhandled server request 'x/y'" } }]);
    const again = conn.handleServerRequests(() => undefined); // the slot is free again
    again.unsubscribe();
  });

  it('delivers notifications to the registered handler and frames$, not to pending requests', async () => {
    const { transport, conn, frames } = await open();
    const seen: string[] = [];
    conn.handleNotifications((n) => seen.push(n.method));
    const p = conn.request('thread/start', {});
    transport.receive(notification('thread/started', { thread: { id: 't' } }));
    expect(conn.pendingCount).toBe(1);
    transport.receive(response(1, {}));
    await p;
    expect(seen).toEqual(['thread/started']);
    expect(frames.map((f) => ('method' in f ? f.method : `#${(f as { id: number }).id}`))).toEqual(['thread/started', '#1']);
  });

  it('times a request out in virtual time and drops the late answer as unmatched', async () => {
    const scheduler = newScheduler();
    const { transport, conn, diagnostics } = await open({ scheduler, requestTimeoutMs: 5_000 });
    scheduler.run(({ expectObservable }) => {
      expectObservable(conn.request$('thread/start', {}, { timeoutMs: 1_000 })).toBe(
        '1000ms #',
        undefined,
        expect.objectContaining({ name: 'CodexTimeoutError', message: expect.stringContaining("'thread/start'") }),
      );
      // The connection-wide default applies when the call gives none.
      expectObservable(conn.request$('thread/start', {})).toBe(
        '5000ms #',
        undefined,
        expect.objectContaining({ name: 'CodexTimeoutError', info: { method: 'thread/start', timeoutMs: 5_000 } }),
      );
    });
    expect(conn.pendingCount).toBe(0);
    expect(() => transport.receive(response(1, { late: true }))).not.toThrow();
    expect(diagnostics.filter((d) => d.kind === 'unmatched-response')).toHaveLength(1);
    expect(conn.isOpen).toBe(true);
  });

  it('times out the Promise form too, with CodexTimeoutError naming the method', async () => {
    const scheduler = newScheduler();
    const { conn } = await open({ scheduler });
    const p = settle(conn.request('config/read', {}, { timeoutMs: 250 }));
    scheduler.flush();
    const { error } = await p;
    expect(error).toBeInstanceOf(CodexTimeoutError);
    expect((error as Error).message).toMatch(/'config\/read'.*250 ms/);
    expect(scheduler.now()).toBe(250);
  });

  it('close() rejects every pending request at once with CodexTransportError', async () => {
    const { conn } = await open();
    const settled: Array<{ value?: unknown; error?: unknown } | undefined> = [undefined, undefined, undefined];
    ['thread/start', 'turn/start', 'model/list'].forEach((m, i) => {
      void settle(conn.request(m, {})).then((r) => (settled[i] = r));
    });
    expect(conn.pendingCount).toBe(3);
    const closing = conn.close();
    expect(conn.pendingCount).toBe(0);
    await tick();
    for (const r of settled) {
      expect(r?.error).toBeInstanceOf(CodexTransportError);
    }
    expect((settled[1]!.error as Error).message).toContain('turn/start');
    await closing;
    await expect(conn.close()).resolves.toBeUndefined(); // idempotent
  });

  it('after close(): request() and start() reject with CodexTransportError, frames$ completes', async () => {
    const { conn } = await open();
    let completed = false;
    conn.frames$.subscribe({ complete: () => (completed = true) });
    await conn.close();
    expect(completed).toBe(true);
    const r = await settle(conn.request('thread/start', {}));
    expect(r.error).toBeInstanceOf(CodexTransportError);
    const s = await settle(conn.start());
    expect(s.error).toBeInstanceOf(CodexTransportError);
    expect(() => conn.notify('initialized')).toThrow(CodexTransportError);
  });

  it('a transport that dies (exit 3) rejects pending requests with exitCode 3 and errors frames$', async () => {
    const { transport, conn } = await open();
    let framesError: unknown;
    conn.frames$.subscribe({ error: (e) => (framesError = e) });
    const reasons: CodexTransportError[] = [];
    conn.onClose((e) => reasons.push(e));
    const a = settle(conn.request('thread/start', {}));
    const b = settle(conn.request('turn/start', {}));
    transport.exit(3);
    for (const r of [await a, await b]) {
      expect(r.error).toBeInstanceOf(CodexTransportError);
      expect((r.error as CodexTransportError).exitCode).toBe(3);
      expect((r.error as Error).message).toContain('exit code 3');
    }
    expect(framesError).toBeInstanceOf(CodexTransportError);
    expect((framesError as CodexTransportError).exitCode).toBe(3);
    expect(reasons).toHaveLength(1);
    expect(conn.isClosed).toBe(true);
    const later = await settle(conn.request('thread/start', {}));
    expect(later.error).toBeInstanceOf(CodexTransportError);
  });

  it('reports garbage lines as invalid-json and non-frame JSON as invalid-frame, and keeps working', async () => {
    const { transport, conn, diagnostics, frames } = await open();
    const p = conn.request('thread/start', {});
    transport.receiveLine('this is not json');
    transport.receiveLine('{"id": 1, "result": ');
    transport.receive([1, 2, 3]);
    transport.receive({ hello: 'world' });
    transport.receive({ id: { nested: true }, result: 1 });
    transport.receiveLine('"just a string"');
    transport.receiveLine(JSON.stringify(response(1, { fine: true })));
    await expect(p).resolves.toEqual({ fine: true });
    expect(diagnostics.map((d) => d.kind)).toEqual([
      'invalid-json',
      'invalid-json',
      'invalid-frame',
      'invalid-frame',
      'invalid-frame',
      'invalid-frame',
    ]);
    expect(diagnostics[0]!.detail).toBe('this is not json');
    expect(diagnostics[2]!.detail).toEqual([1, 2, 3]);
    expect(frames).toEqual([{ id: 1, result: { fine: true } }]);
    expect(conn.isOpen).toBe(true);
  });

  it('serialises each outbound frame whole, on one line, in call order', async () => {
    const { transport, conn } = await open();
    void conn.request('thread/start', { text: 'line one\nline two "quoted"' }).catch(() => undefined);
    conn.notify('initialized');
    conn.respond(0, { decision: 'accept' });
    conn.respondError('x', { code: -32601, message: 'no' });
    void conn.request('model/list').catch(() => undefined);
    expect(transport.sentLines).toEqual([
      '{"id":1,"method":"thread/start","params":{"text":"line one\\nline two \\"quoted\\""}}',
      '{"method":"initialized"}',
      '{"id":0,"result":{"decision":"accept"}}',
      '{"id":"x","error":{"code":-32601,"message":"no"}}',
      '{"id":2,"method":"model/list"}',
    ]);
    for (const line of transport.sentLines) expect(line).not.toContain('\n');
  });

  it('retries a safe method after -32001 with backoff in virtual time; succeeds on the 3rd attempt', async () => {
    const scheduler = newScheduler();
    let attempts = 0;
    const { transport, conn } = await open(
      { scheduler, retry: { initialDelayMs: 100, jitter: 0 } },
      {
        autoRespondMode: 'sync',
        autoRespond: (f) =>
          f.method === 'model/list'
            ? ++attempts < 3
              ? errorResponse(f.id as number, -32001, 'Server overloaded; retry later.')
              : response(f.id as number, { data: [{ id: 'mock-model' }] })
            : undefined,
      },
    );
    scheduler.run(({ expectObservable }) => {
      // attempt 1 at 0, retry after 100 ms, retry after 200 ms more: success at 300 ms
      expectObservable(conn.request$('model/list', {})).toBe('300ms (a|)', { a: { data: [{ id: 'mock-model' }] } });
    });
    expect(attempts).toBe(3);
    expect(transport.sentWithMethod('model/list').map((f) => f.id)).toEqual([1, 2, 3]);
    expect(conn.pendingCount).toBe(0);
  });

  it('with default jitter, the retry delays stay within the backoff bounds', async () => {
    const scheduler = newScheduler();
    let attempts = 0;
    const { conn } = await open(
      { scheduler },
      {
        autoRespondMode: 'sync',
        autoRespond: (f) => (++attempts < 3 ? errorResponse(f.id as number, -32001, 'overloaded') : response(f.id as number, 'ok')),
      },
    );
    let doneAt = -1;
    scheduler.run(() => {
      conn.request$('thread/list', {}).subscribe(() => (doneAt = scheduler.now()));
    });
    // delays: 100 ms and 200 ms, each with up to 50 % random: [50,100] + [100,200]
    expect(doneAt).toBeGreaterThanOrEqual(150);
    expect(doneAt).toBeLessThanOrEqual(300);
  });

  it('gives up after maxRetries and surfaces the -32001 error', async () => {
    const scheduler = newScheduler();
    const { transport, conn } = await open(
      // baseDelayMs: the deprecated name of initialDelayMs, still honoured.
      { scheduler, retry: { maxRetries: 2, baseDelayMs: 10, jitter: 0 } },
      { autoRespondMode: 'sync', autoRespond: (f) => errorResponse(f.id as number, -32001, 'overloaded') },
    );
    scheduler.run(({ expectObservable }) => {
      expectObservable(conn.request$('model/list')).toBe('30ms #', undefined, expect.objectContaining({ code: -32001 }));
    });
    expect(transport.sent).toHaveLength(3);
  });

  it('does not retry turn/start: -32001 fails at once', async () => {
    const scheduler = newScheduler();
    const { transport, conn } = await open(
      { scheduler },
      { autoRespondMode: 'sync', autoRespond: (f) => errorResponse(f.id as number, -32001, 'Server overloaded; retry later.') },
    );
    scheduler.run(({ expectObservable }) => {
      expectObservable(conn.request$('turn/start', { threadId: 't' })).toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', code: -32001 }),
      );
    });
    expect(transport.sent).toHaveLength(1);
  });

  it('does not retry other JSON-RPC errors of safe methods', async () => {
    const scheduler = newScheduler();
    const { transport, conn } = await open(
      { scheduler },
      { autoRespondMode: 'sync', autoRespond: (f) => errorResponse(f.id as number, -32600, 'Not initialized') },
    );
    scheduler.run(({ expectObservable }) => {
      expectObservable(conn.request$('model/list')).toBe('#', undefined, expect.objectContaining({ code: -32600 }));
    });
    expect(transport.sent).toHaveLength(1);
  });

  it('unsubscribing request$ before the answer frees the pending entry; the late answer is unmatched', async () => {
    const { transport, conn, diagnostics } = await open();
    const values: unknown[] = [];
    const sub = conn.request$('thread/start', {}).subscribe((v) => values.push(v));
    expect(conn.pendingCount).toBe(1);
    sub.unsubscribe();
    expect(conn.pendingCount).toBe(0);
    transport.receive(response(1, { late: true }));
    expect(values).toEqual([]);
    expect(diagnostics.filter((d) => d.kind === 'unmatched-response')).toHaveLength(1);
  });

  it('an aborted signal rejects the request and frees it', async () => {
    const { conn } = await open();
    const ac = new AbortController();
    const p = settle(conn.request('thread/start', {}, { signal: ac.signal }));
    expect(conn.pendingCount).toBe(1);
    ac.abort('user left');
    const { error } = await p;
    expect(error).toBeInstanceOf(CodexAbortError);
    expect(error).toMatchObject({ name: 'CodexAbortError', method: 'thread/start', reason: 'user left' });
    expect(conn.pendingCount).toBe(0);
  });

  it('passes transport stderr lines through diagnostics$', async () => {
    const { transport, diagnostics } = await open();
    transport.stderr('WARN something');
    expect(diagnostics).toEqual([{ kind: 'stderr', message: 'WARN something' }]);
  });

  it('does not lose frames the server sends during start()', async () => {
    const transport = new InMemoryTransport();
    transport.receive(notification('configWarning', { summary: 'x' }));
    const conn = new JsonRpcConnection(transport);
    const frames: JsonRpcMessage[] = [];
    conn.frames$.subscribe((f) => frames.push(f));
    await conn.start();
    expect(frames.map((f) => (f as { method: string }).method)).toEqual(['configWarning']);
    await conn.close();
  });

  it('start() rejects with CodexTransportError when the transport cannot start', async () => {
    const transport = new InMemoryTransport({ startError: new Error('spawn ENOENT') });
    const conn = new JsonRpcConnection(transport);
    const r = await settle(conn.start());
    expect(r.error).toBeInstanceOf(CodexTransportError);
    expect((r.error as Error).message).toContain('ENOENT');
    expect(conn.isClosed).toBe(true);
  });
});

describe('request timeouts on real timers (one shared timer)', () => {
  it('times out each request at its own deadline, a shorter one sent later first, and answered ones never', async () => {
    const scheduler = countingScheduler();
    const { conn, transport, subs } = await setup({ requestTimeoutMs: 400, scheduler });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) =>
      p.then(
        () => order.push(`${name}:ok`),
        (e: Error) => order.push(`${name}:${e.name}:${(e as CodexTimeoutError).info?.timeoutMs}`),
      );
    const slow = track('slow', conn.request('slow/one'));
    const answered = track('answered', conn.request('answered/one'));
    const fast = track('fast', conn.request('fast/one', undefined, { timeoutMs: 50 }));
    // three requests, one timer
    expect(scheduler.pending).toBe(1);
    const answeredId = transport.sent.find((f) => f.method === 'answered/one')!.id as number;
    transport.receive(response(answeredId, {}));
    await Promise.all([slow, answered, fast]);
    expect(order).toEqual(['answered:ok', 'fast:CodexTimeoutError:50', 'slow:CodexTimeoutError:400']);
    expect(conn.pendingCount).toBe(0);
    // Nothing pending: the shared timer is gone too.
    expect(scheduler.pending).toBe(0);
    subs.unsubscribe();
    await conn.close();
  });

  it('leaves no timer behind once every request is answered', async () => {
    const scheduler = countingScheduler();
    const { conn, transport, subs } = await setup({ requestTimeoutMs: 60_000, scheduler });
    const p = conn.request('x/y');
    expect(scheduler.pending).toBe(1);
    transport.receive(response(transport.sent[transport.sent.length - 1].id as number, 7));
    await expect(p).resolves.toBe(7);
    expect(scheduler.pending).toBe(0);
    subs.unsubscribe();
    await conn.close();
  });
});
