/**
 * `close()` while a WebSocket (or Unix) dial waits for the answer to its HTTP upgrade, from a
 * server that accepted the TCP connection and stays silent: the first dial, and a reconnect's
 * redial. The dial ends at once (not after `connectTimeoutMs`): what waited fails with
 * `CodexTransportError` code `closed`, the socket is destroyed, its connect timer stopped.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { CodexClient } from '../../src/client';

const WATCHED = ['Timeout', 'TCPSocketWrap', 'PipeWrap'];
const CONNECT_TIMEOUT_MS = 10_000;
/** "At once": far below the connect timeout, with room for a loaded machine. */
const AT_ONCE_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resources(): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(WATCHED.map((t) => [t, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in out) out[r]!++;
  return out;
}

/** The watched resources of which more are active now than `before` (jest's own may come and go). */
async function extraResources(before: Record<string, number>): Promise<string[]> {
  await until(() => WATCHED.every((t) => resources()[t]! <= before[t]!));
  const now = resources();
  return WATCHED.filter((t) => now[t]! > before[t]!).map((t) => `${t} ${before[t]} → ${now[t]}`);
}

/** Polls (every 10 ms, up to 3 s) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !done(); i++) await sleep(10);
}

/** The outcome of a promise: 'ok', or the error's name and code, and when it settled. */
function outcome(p: Promise<unknown>): Promise<{ result: string; at: number }> {
  return p.then(
    () => ({ result: 'ok', at: Date.now() }),
    (e: { name?: string; code?: string }) => ({ result: `${e?.name}/${e?.code}`, at: Date.now() }),
  );
}

/** A server that accepts connections and never says a word; records when each one closes. */
async function silentServer(listen: (server: net.Server) => Promise<void>) {
  const sockets = new Set<net.Socket>();
  const closedAt: number[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      closedAt.push(Date.now());
    });
  });
  await listen(server);
  let accepted = 0;
  server.on('connection', () => accepted++);
  return {
    server,
    get accepted() {
      return accepted;
    },
    closedAt,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const onTcp = (server: net.Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

describe('close() while the first dial waits for the upgrade answer', () => {
  async function closeWhileDialing(connect: () => CodexClient, silent: Awaited<ReturnType<typeof silentServer>>) {
    const before = resources();
    const client = connect();
    const started = outcome(client.start());
    const chat = outcome(client.chatOnce('hi'));
    await until(() => silent.accepted === 1);
    expect(silent.accepted).toBe(1);
    const t0 = Date.now();
    await client.close();
    const closedIn = Date.now() - t0;
    await until(() => silent.closedAt.length === 1);
    const [s, c] = await Promise.all([started, chat]);
    expect(closedIn).toBeLessThan(AT_ONCE_MS);
    expect(s.result).toBe('CodexTransportError/closed');
    expect(c.result).toBe('CodexTransportError/closed');
    expect(s.at - t0).toBeLessThan(AT_ONCE_MS);
    expect(c.at - t0).toBeLessThan(AT_ONCE_MS);
    // The dialing socket was destroyed: the server saw it close at once.
    expect(silent.closedAt[0]! - t0).toBeLessThan(AT_ONCE_MS);
    expect(await extraResources(before)).toEqual([]);
  }

  it('over TCP (connectWebSocket): start() and chatOnce fail with code closed at once, the socket and its timer are gone', async () => {
    const silent = await silentServer(onTcp);
    try {
      const port = (silent.server.address() as net.AddressInfo).port;
      await closeWhileDialing(
        () => CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: CONNECT_TIMEOUT_MS, heartbeatMs: null }),
        silent,
      );
    } finally {
      await silent.stop();
    }
  });

  it('over a Unix socket (connectUnix): the same', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-silent-'));
    const socketPath = path.join(dir, 'silent.sock');
    const silent = await silentServer((server) => new Promise<void>((resolve) => server.listen(socketPath, () => resolve())));
    try {
      await closeWhileDialing(
        () => CodexClient.connectUnix({ socketPath, connectTimeoutMs: CONNECT_TIMEOUT_MS, heartbeatMs: null }),
        silent,
      );
    } finally {
      await silent.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('close() while a reconnect redial waits for the upgrade answer', () => {
  it('resolves at once; the redialing socket and its connect timer are gone; the state is closed', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as { id?: number; method: string };
        if (f.method === 'initialize') ws.send(JSON.stringify({ id: f.id, result: { userAgent: 'test/0.171.0 (linux; x64)' } }));
      }),
    );
    const wsPort = (wss.address() as net.AddressInfo).port;
    // A proxy to the server, then (mode 'silent') a peer that accepts and never answers.
    let mode: 'pass' | 'silent' = 'pass';
    const live = new Set<net.Socket>();
    const silent = await silentServer(onTcp);
    const silentPort = (silent.server.address() as net.AddressInfo).port;
    const proxy = net.createServer((c) => {
      c.on('error', () => undefined);
      const up = net.connect(mode === 'pass' ? wsPort : silentPort, '127.0.0.1');
      up.on('error', () => undefined);
      c.pipe(up).pipe(c);
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
      live.add(c).add(up);
    });
    await onTcp(proxy);
    const port = (proxy.address() as net.AddressInfo).port;
    const before = resources();
    const client = CodexClient.connectWebSocket({
      url: `ws://127.0.0.1:${port}`,
      reconnect: { initialDelayMs: 10, maxDelayMs: 10 },
      heartbeatMs: null,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const states: string[] = [];
    client.connectionState$.subscribe((s) => states.push(s));
    try {
      await client.initialize();
      mode = 'silent';
      for (const s of [...live]) s.destroy();
      live.clear();
      await until(() => silent.accepted === 1);
      expect(silent.accepted).toBe(1);
      expect(states.at(-1)).toBe('reconnecting');
      const t0 = Date.now();
      await client.close();
      expect(Date.now() - t0).toBeLessThan(AT_ONCE_MS);
      await until(() => silent.closedAt.length === 1);
      expect(silent.closedAt[0]! - t0).toBeLessThan(AT_ONCE_MS);
      expect(states.at(-1)).toBe('closed');
      expect(await extraResources(before)).toEqual([]);
    } finally {
      await client.close();
      await silent.stop();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
