/**
 * Requests that wait for a handshake (the first one, or the new link's during an outage) are
 * pending from the call: their timeout and signal run while they wait, and they count in
 * `stats.pendingRequests`. On a virtual clock, over spec/support/linked-transport.ts.
 */
import { firstValueFrom } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexAbortError, CodexTimeoutError, CodexTransportError } from '../../src/errors';
import { response } from '../../src/testing/frames';
import { LinkedTransport } from '../support/linked-transport';
import { virtualClock } from '../support/marbles';
import { outcome } from '../support/outcome';
import { hello } from '../support/client-fixture';

const clients: CodexClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A server that answers the handshake (after `handshakeMs` on link 1), model/list and config/read. */
function setup(handshakeMs = 0) {
  const clock = virtualClock();
  const transport = new LinkedTransport((f, link) => {
    const id = f.id as number;
    if (f.method === 'initialize') {
      const answer = hello(id);
      if (link > 1 || handshakeMs === 0) return answer;
      clock.scheduler.schedule(() => transport.push(answer), handshakeMs);
      return undefined;
    }
    if (f.method === 'model/list') return response(id, { data: [], nextCursor: null });
    if (f.method === 'config/read') return response(id, { config: {}, origins: {} });
    return undefined;
  });
  const client = new CodexClient(transport, { scheduler: clock.scheduler, requestTimeoutMs: 300 });
  clients.push(client);
  const sent = (method: string) => transport.sent.filter((s) => s.frame.method === method).length;
  return { clock, transport, client, sent };
}

describe('requests made while the link is down', () => {
  it('time out after their timeoutMs (or requestTimeoutMs) from the call, and count as pending meanwhile', async () => {
    const { clock, transport, client, sent } = setup();
    await client.initialize();
    transport.drop(true);
    const own = outcome(client.request('model/list', {}, { timeoutMs: 200 }));
    const byDefault = outcome(client.readConfig());
    await clock.settle();
    expect(client.stats.pendingRequests).toBe(2);
    await clock.advance(199);
    expect(own.settled).toBe(false);
    await clock.advance(1);
    expect(own.error).toBeInstanceOf(CodexTimeoutError);
    expect((own.error as CodexTimeoutError).info).toEqual({ method: 'model/list', timeoutMs: 200 });
    expect(client.stats.pendingRequests).toBe(1);
    await clock.advance(100);
    expect(byDefault.error).toBeInstanceOf(CodexTimeoutError);
    expect((byDefault.error as CodexTimeoutError).info).toEqual({ method: 'config/read', timeoutMs: 300 });
    expect(client.stats.pendingRequests).toBe(0);
    expect(clock.scheduler.actions).toEqual([]);
    // A link that comes back later sends neither of them.
    transport.restore();
    await clock.settle();
    expect([sent('model/list'), sent('config/read')]).toEqual([0, 0]);
  });

  it('within their timeout they go out after the new link’s handshake and resolve', async () => {
    const { clock, transport, client } = setup();
    await client.initialize();
    transport.drop(true);
    const read = outcome(client.listModels());
    await clock.advance(250);
    transport.restore();
    await clock.settle();
    expect(read).toEqual({ value: { data: [], nextCursor: null }, settled: true });
    expect(client.stats.pendingRequests).toBe(0);
  });

  it('an abort rejects at once with CodexAbortError; close() fails them with closed', async () => {
    const { clock, transport, client } = setup();
    await client.initialize();
    transport.drop(true);
    const ac = new AbortController();
    const aborted = outcome(client.request('model/list', {}, { signal: ac.signal, timeoutMs: null }));
    const closed = outcome(client.request('model/list', {}, { timeoutMs: null }));
    await clock.settle();
    ac.abort('gone');
    await clock.settle();
    expect(aborted.error).toBeInstanceOf(CodexAbortError);
    expect(aborted.error).toMatchObject({ method: 'model/list', reason: 'gone' });
    expect(client.stats.pendingRequests).toBe(1);
    await client.close();
    await clock.settle();
    expect(closed.error).toBeInstanceOf(CodexTransportError);
    expect(closed.error).toMatchObject({ code: 'closed' });
  });

  it('request$ the same: it times out from the subscription', async () => {
    const { clock, transport, client } = setup();
    await client.initialize();
    transport.drop(true);
    const result = outcome(firstValueFrom(client.request$('model/list', {}, { timeoutMs: 200 })));
    await clock.settle();
    expect(client.stats.pendingRequests).toBe(1);
    await clock.advance(200);
    expect(result.error).toBeInstanceOf(CodexTimeoutError);
    expect(client.stats.pendingRequests).toBe(0);
  });
});

describe('requests made before the first handshake is done', () => {
  it('are pending, and time out from the call when the handshake takes longer', async () => {
    const { clock, client, sent } = setup(250);
    const early = outcome(client.request('model/list', {}, { timeoutMs: 200 }));
    const patient = outcome(client.request('model/list', {}, { timeoutMs: 1_000 }));
    await clock.settle();
    expect(client.stats.pendingRequests).toBe(3); // with initialize itself
    await clock.advance(200);
    expect(early.error).toBeInstanceOf(CodexTimeoutError);
    await clock.advance(50);
    expect(patient.value).toEqual({ data: [], nextCursor: null });
    expect(sent('model/list')).toBe(1);
  });
});
