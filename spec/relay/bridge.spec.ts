/**
 * What the relay's bridge does with app-server frames the browser cannot be handed as they are: one
 * over the app-server side's `maxFrameBytes`, and ids beyond 2^53. A real relay, its app-server side
 * an in-memory transport; `ws` stands in for the browser's WebSocket.
 */
import { filter, firstValueFrom, Subscription } from 'rxjs';
import WebSocket from 'ws';
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { generateRelayToken, startRelay, type Relay, type RelayEvent } from '../../src/relay';
import { RelayTransport, type WebSocketConstructor } from '../../src/streams/relay-transport';
import { InMemoryTransport, type AutoResponder } from '../../src/testing';

const ws = WebSocket as unknown as WebSocketConstructor;
const BIG_ID = '9007199254740993'; // 2^53 + 1: JSON.parse would round it to 2^53

const app: AutoResponder = (f) => {
  const id = f.id as number;
  if (f.method === 'initialize') return { id, result: { userAgent: 'fake/0.171.0 (test)' } };
  // 10,000 characters: over the app-server side's limit (5,000), far within the page's (64 MiB)
  if (f.method === 'model/list') return JSON.stringify({ id, result: { data: [{ id: 'm', blurb: 'x'.repeat(10_000) }] } });
  if (f.method === 'thread/list') return { id, result: { data: [] } };
  return undefined;
};

describe('relay bridge', () => {
  let relay: Relay;
  const token = generateRelayToken();
  const upstreams: InMemoryTransport[] = [];
  const events: RelayEvent[] = [];
  const subscriptions = new Subscription();

  beforeAll(async () => {
    relay = await startRelay({
      token,
      allowedOrigins: [],
      upstream: () => {
        const t = new InMemoryTransport({ autoRespond: app, maxFrameBytes: 5_000 });
        upstreams.push(t);
        return t;
      },
    });
    subscriptions.add(relay.events$.subscribe((e) => events.push(e)));
  });
  afterAll(async () => {
    subscriptions.unsubscribe();
    await relay?.close();
  });

  async function connect(options: { approvalMode?: 'manual' } = {}) {
    // A long request timeout: a request failed at once must not be one that timed out.
    const client = new CodexClient(new RelayTransport({ url: relay.url, token, WebSocket: ws }), { requestTimeoutMs: 30_000, ...options });
    const diagnostics: Diagnostic[] = [];
    subscriptions.add(client.diagnostics$.subscribe((d) => diagnostics.push(d)));
    await client.initialize();
    return { client, diagnostics, upstream: upstreams[upstreams.length - 1]! };
  }

  it("a response over the app-server side's maxFrameBytes: the relay reports it and tells the client, which fails the request at once", async () => {
    const { client, diagnostics } = await connect();
    const err = await client.request('model/list', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/^model\/list: the response \(\d+ bytes\) exceeds maxFrameBytes \(5000\)$/);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'oversized-frame', detail: expect.stringMatching(/^\{"id":2,"result"/) }),
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'diagnostic',
        diagnostic: expect.objectContaining({
          kind: 'oversized-frame',
          message: expect.stringContaining('over maxFrameBytes (5000); discarded'),
        }),
      }),
    );
    // the link goes on
    expect(await client.request('thread/list', {})).toEqual({ data: [] });
    await client.close();
  });

  it('a server request with an id beyond 2^53 reaches the client with its id exact, and its answer goes back with it', async () => {
    const { client, upstream } = await connect();
    upstream.receiveLine(`{"id":${BIG_ID},"method":"fake/unknownRequest","params":{}}`);
    const answered = await firstValueFrom(upstream.sent$.pipe(filter((f) => f.method === undefined && f.error !== undefined)));
    expect(answered).toMatchObject({ error: { code: -32601 } });
    expect(upstream.sentLines.find((l) => l.includes('"error"'))).toMatch(new RegExp(`^\\{"id":${BIG_ID},`));
    // the relay lived on: the same link still works
    expect(await client.request('thread/list', {})).toEqual({ data: [] });
    await client.close();
  });

  it('an approval with such an id left pending by a departed browser is declined under its exact id', async () => {
    const { client, upstream } = await connect({ approvalMode: 'manual' });
    const asked = firstValueFrom(client.approvalRequests$);
    upstream.receiveLine(
      `{"id":${BIG_ID},"method":"item/commandExecution/requestApproval","params":{"threadId":"t","turnId":"u","itemId":"c","command":"ls"}}`,
    );
    await asked;
    const id = (events.filter((e) => e.type === 'open').pop() as { id: number }).id;
    const closed = firstValueFrom(relay.events$.pipe(filter((e) => e.type === 'closed' && e.id === id)));
    await client.close();
    expect(await closed).toMatchObject({ answeredByRelay: 1 });
    expect(upstream.sentLines[upstream.sentLines.length - 1]).toBe(`{"id":${BIG_ID},"result":{"decision":"decline"}}`);
  });
});
