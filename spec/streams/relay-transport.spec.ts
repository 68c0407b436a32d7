/**
 * `RelayTransport`'s inbound bound (`maxFrameBytes`): through a real relay (`codex-rx/relay`) whose
 * app-server side is an in-memory transport answering as scripted, `ws` standing in for the
 * browser's WebSocket; then message by message on a socket driven by hand.
 */
import { Subscription } from 'rxjs';
import WebSocket from 'ws';
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { generateRelayToken, startRelay, type Relay } from '../../src/relay';
import { DEFAULTS } from '../../src/defaults';
import { RELAY_PROTOCOL, RELAY_READY_MESSAGE } from '../../src/relay/protocol';
import { InvalidLine, OversizedFrame } from '../../src/streams/frame-text';
import { RelayTransport, type WebSocketConstructor, type WebSocketLike } from '../../src/streams/relay-transport';
import { InMemoryTransport, type AutoResponder } from '../../src/testing';

const ws = WebSocket as unknown as WebSocketConstructor;

/** Answers the handshake; `model/list` with `models` entries of 1,000 characters each (as one raw line). */
const app: AutoResponder = (f) => {
  const id = f.id as number;
  if (f.method === 'initialize') return { id, result: { userAgent: 'fake/0.171.0 (test)' } };
  if (f.method === 'model/list') {
    const count = (f.params as { limit?: number }).limit ?? 1;
    return JSON.stringify({ id, result: { data: Array.from({ length: count }, (_, i) => ({ id: `m${i}`, blurb: 'x'.repeat(1_000) })) } });
  }
  if (f.method === 'thread/list') return { id, result: { data: [] } };
  return undefined;
};

describe('RelayTransport maxFrameBytes', () => {
  let relay: Relay;
  const token = generateRelayToken();
  const clients: CodexClient[] = [];
  const subscriptions = new Subscription();

  beforeAll(async () => {
    relay = await startRelay({ token, allowedOrigins: [], upstream: () => new InMemoryTransport({ autoRespond: app }) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    subscriptions.unsubscribe();
    await relay?.close();
  });

  function connect(maxFrameBytes?: number) {
    const transport = new RelayTransport({
      url: relay.url,
      token,
      WebSocket: ws,
      ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
    });
    const client = new CodexClient(transport, { requestTimeoutMs: 20_000 });
    clients.push(client);
    const diagnostics: Diagnostic[] = [];
    subscriptions.add(client.diagnostics$.subscribe((d) => diagnostics.push(d)));
    return { transport, client, diagnostics };
  }

  it('a response over the limit is discarded unparsed, reported, and fails its request at once; the link goes on', async () => {
    const { transport, client, diagnostics } = connect(20_000);
    const values: unknown[] = [];
    subscriptions.add(transport.messages$.subscribe((v) => values.push(v)));
    await client.initialize();
    expect((await client.request('model/list', { limit: 2 })).data).toHaveLength(2);

    // about 50,000 characters: well within the relay's app-server side, over the page's limit
    const err = await client.request('model/list', { limit: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/^model\/list: the response \(\d+ bytes\) exceeds maxFrameBytes \(20000\)$/);
    const oversized = values.filter((v): v is OversizedFrame => v instanceof OversizedFrame);
    expect(oversized).toHaveLength(1);
    expect(oversized[0]!.bytes).toBeGreaterThan(50_000);
    expect(oversized[0]!.head).toHaveLength(1_000);
    expect(oversized[0]!.head.startsWith('{"id":')).toBe(true);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'oversized-frame', message: expect.stringMatching(/exceeds maxFrameBytes \(20000\); discarded$/) }),
    ]);

    // the link is still up: the next request is answered
    expect(await client.request('thread/list', {})).toEqual({ data: [] });
  });
});

/** A WebSocket the test drives by hand: the relay's side of the link. */
class HandSocket implements WebSocketLike {
  static last: HandSocket;
  readyState = 1;
  readonly protocol = RELAY_PROTOCOL;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor() {
    HandSocket.last = this;
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1000, reason: '' });
  }
}

describe('RelayTransport maxFrameBytes, message by message', () => {
  async function started(options: { maxFrameBytes?: number } = {}) {
    const transport = new RelayTransport({ url: 'ws://relay.test/codex', token: 't', WebSocket: HandSocket, ...options });
    const values: unknown[] = [];
    transport.messages$.subscribe((v) => values.push(v));
    const start = transport.start();
    const socket = HandSocket.last;
    socket.onopen!({});
    socket.onmessage!({ data: RELAY_READY_MESSAGE });
    await start;
    return { transport, values, receive: (data: string) => socket.onmessage!({ data }) };
  }

  it('a message of maxFrameBytes characters is parsed; one more character and it is discarded as an OversizedFrame', async () => {
    const { transport, values, receive } = await started({ maxFrameBytes: 10 });
    receive('{"id":123}');
    receive('{"id":1234}');
    receive('{"id":12}');
    expect(values).toEqual([{ id: 123 }, new OversizedFrame('{"id":1234}', 11, 10), { id: 12 }]);
    await transport.close();
  });

  it('keeps the head of an oversized message only, and a 2^53+ id of one within the limit exact', async () => {
    const { transport, values, receive } = await started({ maxFrameBytes: 5_000 });
    const long = `{"id":7,"result":"${'x'.repeat(6_000)}"}`;
    receive(long);
    receive('{"id":9007199254740993,"method":"item/tool/call","params":{}}');
    expect(values[0]).toEqual(new OversizedFrame(long.slice(0, 1_000), long.length, 5_000));
    expect(values[1]).toMatchObject({ id: 9007199254740993n });
    await transport.close();
  });

  it('the default is DEFAULTS.maxFrameBytes', async () => {
    const { transport, values, receive } = await started();
    const at = 'x'.repeat(DEFAULTS.maxFrameBytes);
    receive(at); // not JSON, but within the limit: parsed (and refused as such)
    receive(at + 'x');
    expect(values[0]).toBeInstanceOf(InvalidLine);
    expect(values[1]).toMatchObject({ bytes: DEFAULTS.maxFrameBytes + 1, maxFrameBytes: DEFAULTS.maxFrameBytes });
    expect(values[1]).toBeInstanceOf(OversizedFrame);
    await transport.close();
  });
});
