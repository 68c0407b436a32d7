/**
 * The relay's bounds against hostile browsers, with stand-in app-servers: what one connection may
 * send before its app-server is ready (bytes, not messages), what may pile up for a browser that
 * does not read, and sockets that never finish their upgrade. (The figures with the default bounds
 * are measured by `npm run bench:faults` and given in RELIABILITY.md.)
 */
import * as net from 'node:net';
import { filter, firstValueFrom, Observable, Subject } from 'rxjs';
import WebSocket from 'ws';
import type { Diagnostic } from '../../src/models';
import { generateRelayToken, startRelay, type Relay, type RelayEvent } from '../../src/relay';
import { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX } from '../../src/relay/protocol';
import type { Transport } from '../../src/streams/transport';

jest.setTimeout(30_000);

/** An app-server stand-in: starts when told to, records what it is sent, floods when asked. */
class StandIn implements Transport {
  readonly inbound = new Subject<unknown>();
  readonly messages$: Observable<unknown> = this.inbound.asObservable();
  readonly diagnostics$ = new Subject<Diagnostic>().asObservable();
  readonly sent: string[] = [];
  closed = false;
  private release!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly startsAt: 'once' | 'when-told') {}

  start(): Promise<void> {
    if (this.startsAt === 'once') this.release();
    return this.ready;
  }
  up(): void {
    this.release();
  }
  send(text: string): void {
    this.sent.push(text);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.inbound.complete();
  }
  /** Sends frames of `bytes` each, a batch per macrotask, until closed or `limit` frames. */
  flood(bytes: number, limit: number): Promise<number> {
    const frame = { method: 'item/agentMessage/delta', params: { threadId: 't', turnId: 'u', itemId: 'i', delta: 'x'.repeat(bytes) } };
    let n = 0;
    return new Promise((resolve) => {
      const batch = () => {
        for (let i = 0; i < 16 && !this.closed && n < limit; i++, n++) this.inbound.next(frame);
        if (this.closed || n >= limit) resolve(n);
        else setImmediate(batch);
      };
      batch();
    });
  }
}

describe('relay bounds', () => {
  const token = generateRelayToken();
  const relays: Relay[] = [];
  const start = async (options: Partial<Parameters<typeof startRelay>[0]>) => {
    const relay = await startRelay({ token, allowedOrigins: [], ...options });
    relays.push(relay);
    return relay;
  };
  const closedEvent = (relay: Relay) =>
    firstValueFrom(relay.events$.pipe(filter((e): e is Extract<RelayEvent, { type: 'closed' }> => e.type === 'closed')));
  const browser = (relay: Relay) => {
    const ws = new WebSocket(relay.url, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + token]);
    ws.on('error', () => undefined);
    return ws;
  };
  const closeOf = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  it('holds what a browser sends before ready up to maxEarlyBytes, then closes it 1008: nothing goes upstream', async () => {
    const upstreams: StandIn[] = [];
    const relay = await start({
      maxEarlyBytes: 64 * 1024,
      upstream: () => {
        const s = new StandIn('when-told');
        upstreams.push(s);
        return s;
      },
    });
    const ws = browser(relay);
    const closed = closeOf(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    const message = JSON.stringify({ id: 1, method: 'thread/list', params: { pad: 'x'.repeat(40 * 1024) } });
    for (let i = 0; i < 64; i++) ws.send(message);
    expect(await closed).toBe(1008);
    const s = upstreams[0]!;
    s.up();
    expect(s.sent).toEqual([]);
    expect(s.closed).toBe(true);
  });

  it('passes the early messages on, in order, when they fit', async () => {
    const s = new StandIn('when-told');
    const relay = await start({ maxEarlyBytes: 64 * 1024, upstream: () => s });
    const ws = browser(relay);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"id":1,"method":"thread/list","params":{}}');
    ws.send('{"method":"initialized"}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(s.sent).toEqual([]);
    const ready = new Promise((resolve) => ws.once('message', resolve));
    s.up();
    await ready;
    expect(s.sent.map((t) => JSON.parse(t))).toEqual([{ id: 1, method: 'thread/list', params: {} }, { method: 'initialized' }]);
    ws.close();
  });

  it('drops a browser that does not read (1013) instead of buffering for it, and stops its app-server', async () => {
    const s = new StandIn('once');
    const relay = await start({ maxBufferedBytes: 1024 * 1024, upstream: () => s });
    const ended = closedEvent(relay);
    const ws = browser(relay);
    await new Promise((resolve) => ws.once('message', resolve)); // ready
    (ws as unknown as { _socket: net.Socket })._socket.pause(); // the tab stops reading
    const sent = await s.flood(64 * 1024, 20_000); // at most 1.3 GB: far more than any buffer on the way
    expect(await ended).toMatchObject({ code: 1013, reason: 'browser is not reading' });
    expect(s.closed).toBe(true);
    expect(sent).toBeLessThan(20_000);
    ws.terminate();
  });

  it('caps sockets that never finish the upgrade, in number and in time', async () => {
    const relay = await start({ maxPendingUpgrades: 2, upgradeTimeoutMs: 300 });
    const sockets = [0, 1, 2].map(() => net.connect((new URL(relay.url).port as unknown as number) * 1, '127.0.0.1'));
    const ends = sockets.map((s) => new Promise<boolean>((resolve) => s.on('close', () => resolve(true)).on('error', () => undefined)));
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
    // the third is over the cap: dropped at once; the first two at their deadline
    expect(await ends[2]).toBe(true);
    expect(relay.pendingUpgrades).toBe(2);
    expect(await Promise.all(ends.slice(0, 2))).toEqual([true, true]);
    expect(relay.pendingUpgrades).toBe(0);
  });

  it('drops an upgrade whose token check never answers, at the deadline', async () => {
    const relay = await start({ token: () => new Promise(() => undefined), upgradeTimeoutMs: 300 });
    const ws = new WebSocket(relay.url, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + token]);
    ws.on('error', () => undefined);
    expect(await closeOf(ws)).toBe(1006);
    expect(relay.pendingUpgrades).toBe(0);
    expect(relay.connections).toBe(0);
  });
});
