/**
 * A pending request's life beyond one answer, on a virtual clock: the overload (-32001) retry's
 * backoff (still pending, ended at once by an abort, `close()` or the deadline, for `request` and
 * `request$` alike), and params that are no JSON (the caller's mistake: a TypeError, nothing sent).
 */
import { CodexAbortError, CodexTimeoutError, CodexTransportError } from '../../src/errors';
import type { ConnectionOptions } from '../../src/options';
import { JsonRpcConnection } from '../../src/streams/connection';
import { errorResponse, response, serverRequest } from '../../src/testing/frames';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { virtualClock } from '../support/marbles';
import { outcome } from '../support/outcome';

const connections: JsonRpcConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
});

/** A connection whose server answers model/list with -32001 (`overloadedFor` times; forever by default), then with a list. */
async function overloaded(options: ConnectionOptions = {}, overloadedFor = Infinity) {
  const clock = virtualClock();
  let refused = 0;
  const transport = new InMemoryTransport({
    autoRespond: (f) => {
      if (f.method !== 'model/list') return f.method === 'echo' ? response(f.id as number, f.params) : undefined;
      return refused++ < overloadedFor
        ? errorResponse(f.id as number, -32001, 'Server overloaded; retry later.')
        : response(f.id as number, 'ok');
    },
  });
  const conn = new JsonRpcConnection(transport, {
    scheduler: clock.scheduler,
    retry: { baseDelayMs: 3_000, maxDelayMs: 3_000, jitter: 0 },
    ...options,
  });
  connections.push(conn);
  await conn.start();
  return { clock, transport, conn, attempts: () => transport.sentWithMethod('model/list').length };
}

describe('the overload retry backoff', () => {
  it('a request waiting out its backoff is pending; it goes again under a new id and resolves', async () => {
    const { clock, transport, conn, attempts } = await overloaded({}, 1);
    const result = outcome(conn.request('model/list', {}));
    await clock.advance(100);
    expect(attempts()).toBe(1);
    expect(conn.pendingCount).toBe(1);
    await clock.advance(2_900);
    expect(result).toEqual({ value: 'ok', settled: true });
    expect(transport.sentWithMethod('model/list').map((f) => f.id)).toEqual([1, 2]);
    expect(conn.pendingCount).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
  });

  it('an abort during the backoff rejects at once with CodexAbortError; no retry goes out', async () => {
    const { clock, conn, attempts } = await overloaded();
    const ac = new AbortController();
    const result = outcome(conn.request('model/list', {}, { signal: ac.signal }));
    await clock.advance(100);
    ac.abort('user left');
    await clock.settle();
    expect(result.error).toBeInstanceOf(CodexAbortError);
    expect(result.error).toMatchObject({ method: 'model/list', reason: 'user left' });
    expect(conn.pendingCount).toBe(0);
    expect(clock.scheduler.actions).toEqual([]); // the backoff's timer is gone
    await clock.advance(10_000);
    expect(attempts()).toBe(1);
  });

  it('close() during the backoff rejects at once with the close reason and leaves no timer', async () => {
    const { clock, conn, attempts } = await overloaded();
    const result = outcome(conn.request('model/list', {}));
    await clock.advance(100);
    await conn.close();
    await clock.settle();
    expect(result.error).toBeInstanceOf(CodexTransportError);
    expect(result.error).toMatchObject({ code: 'closed', message: 'model/list: connection closed by the client' });
    expect(clock.scheduler.actions).toEqual([]);
    expect(attempts()).toBe(1);
  });

  it('the deadline runs from the call, through the backoffs: CodexTimeoutError at timeoutMs', async () => {
    const { clock, conn, attempts } = await overloaded();
    const result = outcome(conn.request('model/list', {}, { timeoutMs: 1_000 }));
    await clock.advance(999);
    expect(result.settled).toBe(false);
    await clock.advance(1);
    expect(result.error).toBeInstanceOf(CodexTimeoutError);
    expect((result.error as CodexTimeoutError).info).toEqual({ method: 'model/list', timeoutMs: 1_000 });
    expect(conn.pendingCount).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    expect(attempts()).toBe(1);
  });

  it('request$ the same: pending during the backoff; unsubscribing, aborting or closing ends it at once', async () => {
    const { clock, conn, attempts } = await overloaded();
    const errors: unknown[] = [];
    const left = conn.request$('model/list', {}).subscribe({ error: (e: unknown) => errors.push(e) });
    const ac = new AbortController();
    conn.request$('model/list', {}, { signal: ac.signal }).subscribe({ error: (e: unknown) => errors.push(e) });
    conn.request$('model/list', {}).subscribe({ error: (e: unknown) => errors.push(e) });
    await clock.advance(100);
    expect(conn.pendingCount).toBe(3);
    left.unsubscribe();
    expect(conn.pendingCount).toBe(2);
    ac.abort();
    expect(errors).toEqual([expect.any(CodexAbortError)]);
    await conn.close();
    expect(errors).toEqual([expect.any(CodexAbortError), expect.objectContaining({ name: 'CodexTransportError', code: 'closed' })]);
    expect(clock.scheduler.actions).toEqual([]);
    expect(attempts()).toBe(3);
  });

  it('a late answer to an attempt that was retried is unmatched, not taken for the retry', async () => {
    const { clock, transport, conn } = await overloaded({}, 1);
    const unmatched: unknown[] = [];
    conn.diagnostics$.subscribe((d) => d.kind === 'unmatched-response' && unmatched.push(d.detail));
    const result = outcome(conn.request('model/list', {}));
    await clock.advance(100);
    transport.receive(response(1, 'stale'));
    expect(unmatched).toEqual([{ id: 1, result: 'stale' }]);
    await clock.advance(2_900);
    expect(result.value).toBe('ok');
  });
});

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

describe('params that are no JSON', () => {
  it.each([
    ['a BigInt', { n: 10n }, /BigInt/],
    ['a cycle', cycle, /circular/],
    [
      'a throwing toJSON',
      {
        toJSON() {
          throw new Error('no');
        },
      },
      /no/,
    ],
  ])('%s: TypeError naming the method; nothing is sent or left pending; the connection goes on', async (_what, params, detail) => {
    const { clock, transport, conn } = await overloaded();
    const sent = transport.sent.length;
    const err = await conn.request('echo', params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/^echo: params cannot be sent as JSON: /);
    expect((err as Error).message).toMatch(detail);
    const errors: unknown[] = [];
    conn.request$('echo', params).subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toEqual([expect.any(TypeError)]);
    expect(transport.sent).toHaveLength(sent);
    expect(conn.pendingCount).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    await expect(conn.request('echo', { fine: true })).resolves.toEqual({ fine: true });
  });

  it('a server request id beyond 2^53 is still answered exactly (only the caller’s params are checked)', async () => {
    const { transport, conn } = await overloaded();
    conn.handleServerRequests((r) => conn.respond(r.id, { ok: 1 }));
    transport.receiveLine(JSON.stringify(serverRequest(1, 'x/y', {})).replace('"id":1', '"id":9007199254740993'));
    expect(transport.sentLines.at(-1)).toBe('{"id":9007199254740993,"result":{"ok":1}}');
  });
});
