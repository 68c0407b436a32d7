/**
 * The relay (`codex-rx/relay`) and its client side (`RelayTransport`), on Node with `ws` standing in
 * for the browser's WebSocket, bridging to the REAL `codex app-server` (offline, scripted model).
 * The same pair runs in a real browser in spec/browser/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filter, firstValueFrom, lastValueFrom, Subscription, toArray } from 'rxjs';
import WebSocket from 'ws';
import { CodexClient } from '../../src/client';
import { CodexTransportError, isTransportError } from '../../src/errors';
import { generateRelayToken, startRelay, StdioTransport, type Relay, type RelayEvent } from '../../src/relay';
import { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX } from '../../src/relay/protocol';
import { RelayTransport, type WebSocketConstructor } from '../../src/streams/relay-transport';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30_000);

const ORIGIN = 'http://app.localhost:4200';

/** `ws` as a page on ORIGIN would open it; every socket is kept, to drop one like a closed tab. */
function pageWebSocket(origin = ORIGIN, opened: WebSocket[] = []): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { origin });
      opened.push(this);
    }
  };
}

/** Resolves with the reason the WebSocket closed, or the HTTP status that refused its upgrade. */
function outcome(ws: WebSocket): Promise<{ status?: number; code?: number; reason?: string; protocol?: string; first?: string }> {
  return new Promise((resolve) => {
    let first: string | undefined;
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    ws.on('message', (data) => {
      first ??= data.toString();
      ws.close(1000);
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), protocol: ws.protocol, first }));
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('relay between a browser-style client and the real app-server', () => {
  let off: OfflineCodex;
  let relay: Relay;
  let token: string;
  const upstreams: StdioTransport[] = [];
  const events: RelayEvent[] = [];
  let sub: Subscription;
  const clients: CodexClient[] = [];

  const client = (opts: { WebSocket?: WebSocketConstructor; token?: string; manual?: boolean } = {}) => {
    const transport = new RelayTransport({ url: relay.url, token: opts.token ?? token, WebSocket: opts.WebSocket ?? pageWebSocket() });
    const c = new CodexClient(transport, { approvalMode: opts.manual ? 'manual' : 'auto' });
    clients.push(c);
    return c;
  };
  const closedEvent = (id: number) =>
    firstValueFrom(relay.events$.pipe(filter((e): e is Extract<RelayEvent, { type: 'closed' }> => e.type === 'closed' && e.id === id)));
  const lastOpenId = () => (events.filter((e) => e.type === 'open').pop() as { id: number }).id;

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
    token = generateRelayToken();
    relay = await startRelay({
      token,
      allowedOrigins: [ORIGIN],
      upstream: () => {
        const t = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
        upstreams.push(t);
        return t;
      },
      // Widened on purpose: these browsers approve commands in the workspace (see policy.spec.ts for the default).
      policy: { roots: [off.workspace], approvalPolicies: ['on-request'] },
      maxConnections: 3,
    });
    sub = relay.events$.subscribe((e) => events.push(e));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await relay?.close();
    sub?.unsubscribe();
    await off?.dispose();
  });

  it('runs a streamed turn for a client on an allowed origin with the token', async () => {
    const c = client();
    const events$ = c.chatEvents('STREAM 4 relayed words arrive', { threadConfig: { cwd: off.workspace } });
    const turn = await lastValueFrom(events$.pipe(toArray()));
    const deltas = turn.filter((e) => e.type === 'delta');
    expect(deltas.map((e) => (e as { delta: string }).delta).join('')).toBe('relayed words arrive');
    expect(deltas.length).toBe(4);
    expect(turn[turn.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'relayed words arrive' } });
    expect(events.find((e) => e.type === 'open')).toMatchObject({ origin: ORIGIN });
  });

  it('carries approvals to the client: accepted runs the command, declined does not', async () => {
    const c = client();
    c.setApprovalHandler((req) => (req.kind === 'command' && req.command?.includes('yes.txt') ? 'accept' : 'decline'));
    const cfg = { threadConfig: { cwd: off.workspace } };
    const accepted = await c.chatOnce('RUN echo yes > yes.txt && echo wrote', cfg);
    expect(accepted.finalText).toBe('Command finished: wrote');
    expect(fs.readFileSync(path.join(off.workspace, 'yes.txt'), 'utf8')).toBe('yes\n');
    const declined = await c.chatOnce('RUN echo no > no.txt', cfg);
    expect(declined.finalText).toMatch(/^Command finished:/);
    expect(fs.existsSync(path.join(off.workspace, 'no.txt'))).toBe(false);
  });

  it('refuses a wrong token and a foreign origin with auth-failed, and starts no app-server for them', async () => {
    const before = upstreams.length;
    const wrong = client({ token: generateRelayToken() });
    await expect(wrong.start()).rejects.toMatchObject({
      name: 'CodexTransportError',
      code: 'auth-failed',
      message: /refused the token \(code 4401/,
    });
    const foreign = client({ WebSocket: pageWebSocket('http://evil.localhost:8080') });
    await expect(foreign.start()).rejects.toMatchObject({ code: 'auth-failed', message: /refused this page's origin \(code 4403/ });
    expect(upstreams.length).toBe(before);
    expect(events.filter((e) => e.type === 'refused').map((e) => (e as { status: number }).status)).toEqual([401, 403]);
  });

  it('answers plain WebSocket clients with HTTP 401 and 403, and admits a bearer token', async () => {
    const url = relay.url;
    expect(await outcome(new WebSocket(url, { origin: ORIGIN }))).toEqual({ status: 401 });
    expect(await outcome(new WebSocket(url, { origin: ORIGIN, headers: { authorization: 'Bearer nope' } }))).toEqual({ status: 401 });
    expect(await outcome(new WebSocket(url, { origin: 'http://evil.localhost', headers: { authorization: `Bearer ${token}` } }))).toEqual({
      status: 403,
    });
    const ok = await outcome(new WebSocket(url, [RELAY_PROTOCOL], { headers: { authorization: `Bearer ${token}` } }));
    expect(ok).toMatchObject({ protocol: RELAY_PROTOCOL, first: '{"codexRxRelay":1,"ready":true}' });
    // The relay selected its protocol, never the one carrying the token.
    const viaProtocol = await outcome(new WebSocket(url, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + token], { origin: ORIGIN }));
    expect(viaProtocol.protocol).toBe(RELAY_PROTOCOL);
  });

  it('reports connect-failed when nothing listens', async () => {
    const other = await startRelay({ token, allowedOrigins: [ORIGIN] });
    const url = other.url;
    await other.close();
    const t = new RelayTransport({ url, token, WebSocket: pageWebSocket() });
    await expect(t.start()).rejects.toMatchObject({ code: 'connect-failed' });
  });

  it('stops the app-server when the browser drops, answering the approval the browser left pending', async () => {
    const sockets: WebSocket[] = [];
    const c = client({ WebSocket: pageWebSocket(ORIGIN, sockets), manual: true });
    await c.initialize();
    const id = lastOpenId();
    const pid = upstreams[upstreams.length - 1]!.pid!;
    expect(processGone(pid)).toBe(false);
    const asked = firstValueFrom(c.approvalRequests$);
    const turn = lastValueFrom(c.chat('RUN echo left > left.txt', { threadConfig: { cwd: off.workspace } })).catch((e: unknown) => e);
    await asked;
    const closed = closedEvent(id);
    sockets[0]!.terminate(); // the tab is gone: no close frame
    expect(await closed).toMatchObject({ answeredByRelay: 1 });
    expect(processGone(pid)).toBe(true);
    expect(isTransportError(await turn, 'disconnected')).toBe(true);
    expect(fs.existsSync(path.join(off.workspace, 'left.txt'))).toBe(false);
  });

  it('ends the client with exited when the app-server dies', async () => {
    const c = client();
    await c.initialize();
    const failed = lastValueFrom(c.frames$).catch((e: unknown) => e);
    process.kill(upstreams[upstreams.length - 1]!.pid!, 'SIGKILL');
    const err = await failed;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'exited', message: /code 4502/ });
  });

  it('drops a browser that stops answering pings, and stops its app-server', async () => {
    const quiet = await startRelay({
      token,
      allowedOrigins: [ORIGIN],
      heartbeatMs: 50,
      upstream: () => new StdioTransport({ command: off.command, env: off.env }),
    });
    try {
      const closed = firstValueFrom(quiet.events$.pipe(filter((e) => e.type === 'closed')));
      const mute = new WebSocket(quiet.url, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + token], { origin: ORIGIN, autoPong: false });
      mute.on('error', () => undefined);
      expect(await closed).toMatchObject({ type: 'closed', code: 1006 });
      expect(quiet.connections).toBe(0);
    } finally {
      await quiet.close();
    }
  });

  it('refuses a connection past maxConnections (connect-failed, 4503)', async () => {
    const small = await startRelay({
      token,
      allowedOrigins: [ORIGIN],
      maxConnections: 1,
      upstream: () => new StdioTransport({ command: off.command, env: off.env }),
    });
    try {
      const first = new CodexClient(new RelayTransport({ url: small.url, token, WebSocket: pageWebSocket() }));
      clients.push(first);
      await first.start();
      const second = new RelayTransport({ url: small.url, token, WebSocket: pageWebSocket() });
      await expect(second.start()).rejects.toMatchObject({ code: 'connect-failed', message: /code 4503/ });
    } finally {
      await small.close();
    }
  });

  it('close() right as a browser leaves resolves only once that app-server has exited (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      const spawned: StdioTransport[] = [];
      const other = await startRelay({
        token,
        allowedOrigins: [ORIGIN],
        upstream: () => {
          const t = new StdioTransport({ command: off.command, env: off.env });
          spawned.push(t);
          return t;
        },
      });
      const sockets: WebSocket[] = [];
      const c = new CodexClient(new RelayTransport({ url: other.url, token, WebSocket: pageWebSocket(ORIGIN, sockets) }));
      await c.initialize();
      const pid = spawned[0]!.pid!;
      const left = new Promise((resolve) => sockets[0]!.once('close', resolve));
      sockets[0]!.close(1000); // the tab leaves...
      await left; // ...and the relay has begun to stop its app-server
      await other.close();
      expect(processGone(pid)).toBe(true);
      await c.close();
    }
  });

  it('closes its connections when the relay closes', async () => {
    const other = await startRelay({
      token,
      allowedOrigins: [ORIGIN],
      upstream: () => new StdioTransport({ command: off.command, env: off.env }),
    });
    const c = new CodexClient(new RelayTransport({ url: other.url, token, WebSocket: pageWebSocket() }));
    await c.initialize();
    const failed = lastValueFrom(c.frames$).catch((e: unknown) => e);
    const all = lastValueFrom(
      other.events$.pipe(
        filter((e) => e.type !== 'diagnostic'),
        toArray(),
      ),
    );
    await other.close();
    expect(await failed).toMatchObject({ code: 'disconnected', message: /code 1001/ });
    expect((await all).map((e) => e.type)).toEqual(['closed']);
    expect(other.connections).toBe(0);
    await c.close();
  });
});
