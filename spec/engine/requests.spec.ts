/**
 * The engine's one request path and its three rule sets (ARCHITECTURE.md, "A call, to the wire"):
 * `CALL.user` waits for the handshake, `CALL.engine` does not; both are held while the link is
 * down until the relink steps are done, and retried on overload; `CALL.relink` goes out on the new
 * link past the gate, and is never retried. Over spec/support/linked-transport.ts, on a virtual clock.
 */
import { Handshake } from '../../src/engine/handshake';
import { CALL, EngineRequests } from '../../src/engine/requests';
import { JsonRpcConnection } from '../../src/streams/connection';
import { errorResponse, response } from '../../src/testing/frames';
import { LinkedTransport } from '../support/linked-transport';
import { virtualClock } from '../support/marbles';
import { hello } from '../support/client-fixture';

const connections: JsonRpcConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
});

/** The engine's handshake and request path over a transport whose server answers initialize when `answerInit()` says so. */
function setup(answerInit: () => boolean = () => true) {
  const clock = virtualClock();
  const transport = new LinkedTransport((f) => {
    const id = f.id as number;
    if (f.method === 'initialize') return answerInit() ? hello(id) : undefined;
    if (f.method === 'model/list') return errorResponse(id, -32001, 'overloaded');
    return response(id, { method: f.method });
  });
  const connection = new JsonRpcConnection(transport, {
    scheduler: clock.scheduler,
    requestTimeoutMs: null,
    retry: { maxRetries: 2, initialDelayMs: 10, jitter: 0 },
  });
  connections.push(connection);
  let handshake: Handshake | null = null;
  const requests = new EngineRequests(connection, () => handshake!.ready());
  handshake = new Handshake(connection, requests, { name: 'spec', version: '0' });
  const sent = () => transport.sent.map((s) => `${s.link}:${String(s.frame.method)}`);
  return { clock, transport, connection, handshake, requests, sent };
}

describe('EngineRequests', () => {
  it('CALL.user waits for the handshake; CALL.engine goes out at once', async () => {
    let answer = false;
    const { clock, transport, connection, requests, sent } = setup(() => answer);
    await connection.start();
    const user = requests.call('config/read', {}, {}, CALL.user);
    const engine = requests.call('thread/read', {}, {}, CALL.engine);
    await clock.settle();
    // The handshake's initialize after the connection's start (a tick later): the order of the two is not the point.
    expect(sent().sort()).toEqual(['1:initialize', '1:thread/read']);
    answer = true;
    const init = transport.sent.find((s) => s.frame.method === 'initialize')!.frame;
    transport.push(response(init.id as number, { userAgent: 'test/0.171.0 (linux; x64)' }));
    await expect(user).resolves.toEqual({ method: 'config/read' });
    await expect(engine).resolves.toEqual({ method: 'thread/read' });
    expect(sent().slice(2)).toEqual(['1:initialized', '1:config/read']);
  });

  it('while the link is down, CALL.engine waits for the relink steps, which go out with CALL.relink first', async () => {
    const { clock, transport, handshake, connection, requests, sent } = setup();
    await handshake.initialize();
    connection.beforeRelease(async () => {
      await requests.call('thread/resume', {}, {}, CALL.relink);
    });
    transport.drop(true);
    const held = requests.call('thread/read', {}, {}, CALL.engine);
    await clock.settle();
    transport.restore();
    await expect(held).resolves.toEqual({ method: 'thread/read' });
    expect(sent().slice(2)).toEqual(['2:thread/resume', '2:thread/read']);
  });

  it('an overloaded answer is retried under CALL.engine, never under CALL.relink', async () => {
    const { clock, handshake, requests, sent } = setup();
    await handshake.initialize();
    const relink = requests.call('model/list', {}, {}, CALL.relink).catch((err: Error) => err);
    await clock.settle();
    expect(await relink).toMatchObject({ code: -32001 });
    expect(sent().filter((m) => m.endsWith('model/list'))).toHaveLength(1);
    const engine = requests.call('model/list', {}, {}, CALL.engine).catch((err: Error) => err);
    for (let i = 0; i < 3; i++) {
      await clock.settle();
      clock.advance(20);
    }
    expect(await engine).toMatchObject({ code: -32001 });
    // Once under CALL.relink, then the first try and two retries under CALL.engine.
    expect(sent().filter((m) => m.endsWith('model/list'))).toHaveLength(4);
  });
});
