import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { filter, firstValueFrom } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { CodexTransportError } from '../../src/errors';
import { JsonRpcConnection } from '../../src/streams/connection';
import { InvalidLine } from '../../src/streams/ndjson';
import { WebSocketTransport } from '../../src/streams/websocket';

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

function listen(server: WebSocketServer): Promise<number> {
  return new Promise((resolve) => server.once('listening', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: WebSocketServer): Promise<void> {
  for (const client of server.clients) client.terminate();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An echo peer: answers each request with {echo: params, method}; 'silent' is never answered; 'drop' kills the TCP socket. */
function echo(ws: WebSocket): void {
  ws.on('message', (data) => {
    const text = data.toString();
    const msg = JSON.parse(text) as { id?: number; method: string; params?: unknown };
    if (msg.method === 'drop') {
      ws.terminate();
      return;
    }
    if (msg.method === 'silent') return;
    if (msg.method === 'garbage') ws.send('not json {');
    if (msg.id !== undefined) ws.send(JSON.stringify({ id: msg.id, result: { echo: msg.params ?? null, method: msg.method } }));
  });
}

describe('WebSocketTransport', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function echoServer(): Promise<{ url: string; headers: IncomingMessage['headers'][] }> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const headers: IncomingMessage['headers'][] = [];
    server.on('connection', (ws, req) => {
      headers.push(req.headers);
      echo(ws);
    });
    return { url: `ws://127.0.0.1:${port}`, headers };
  }

  function transport(options: ConstructorParameters<typeof WebSocketTransport>[0]): WebSocketTransport {
    const t = new WebSocketTransport(options);
    cleanups.push(() => t.close());
    return t;
  }

  it('round-trips messages and sends Authorization: Bearer <token>', async () => {
    const { url, headers } = await echoServer();
    const t = transport({ url, token: 's3cret-token', headers: { 'X-Extra': 'yes' } });
    const conn = new JsonRpcConnection(t);
    await conn.start();
    await expect(conn.request('ping', { s: '€🎉', big: 'x'.repeat(200_000) })).resolves.toEqual({
      echo: { s: '€🎉', big: 'x'.repeat(200_000) },
      method: 'ping',
    });
    const many = await Promise.all([1, 2, 3].map((n) => conn.request('m', { n })));
    expect(many).toEqual([1, 2, 3].map((n) => ({ echo: { n }, method: 'm' })));
    expect(headers).toHaveLength(1);
    expect(headers[0]!.authorization).toBe('Bearer s3cret-token');
    expect(headers[0]!['x-extra']).toBe('yes');
    await conn.close();
  });

  it('sends no Authorization header without a token', async () => {
    const { url, headers } = await echoServer();
    const saved = process.env.CODEX_APP_SERVER_TOKEN;
    delete process.env.CODEX_APP_SERVER_TOKEN;
    try {
      const t = transport({ url });
      await t.start();
    } finally {
      if (saved !== undefined) process.env.CODEX_APP_SERVER_TOKEN = saved;
    }
    expect(headers[0]!.authorization).toBeUndefined();
  });

  it('turns a non-JSON message into an InvalidLine on messages$', async () => {
    const { url } = await echoServer();
    const t = transport({ url });
    await t.start();
    const bad = firstValueFrom(t.messages$.pipe(filter((m) => m instanceof InvalidLine)));
    t.send(JSON.stringify({ id: 1, method: 'garbage' }));
    const line = (await bad) as InvalidLine;
    expect(line.line).toBe('not json {');
  });

  it('rejects start() quickly with a CodexTransportError naming HTTP 401 when the upgrade is refused', async () => {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized'),
    });
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const t = transport({ url: `ws://127.0.0.1:${port}`, token: 'wrong', connectTimeoutMs: 10_000 });
    const t0 = Date.now();
    const { error } = await settle(t.start());
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as Error).message).toContain('401');
  });

  it('rejects start() after connectTimeoutMs when the peer accepts TCP and never answers', async () => {
    const sockets: net.Socket[] = [];
    const tcp = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          tcp.close(() => resolve());
        }),
    );
    const port = (tcp.address() as AddressInfo).port;
    const t = transport({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 300 });
    const t0 = Date.now();
    const { error } = await settle(t.start());
    const elapsed = Date.now() - t0;
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as Error).message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
    expect(sockets.length).toBe(1);
  });

  it('rejects start() with CodexTransportError when nothing listens', async () => {
    const tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const t = transport({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 5_000 });
    const { error } = await settle(t.start());
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('errors messages$ with CodexTransportError when the server drops the socket mid-session', async () => {
    const { url } = await echoServer();
    const t = transport({ url });
    const conn = new JsonRpcConnection(t);
    let messagesError: unknown;
    t.messages$.subscribe({ error: (e) => (messagesError = e) });
    await conn.start();
    await expect(conn.request('ping')).resolves.toMatchObject({ method: 'ping' });
    const pending = settle(conn.request('silent'));
    const { error } = await settle(conn.request('drop'));
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((await pending).error).toBeInstanceOf(CodexTransportError);
    expect(messagesError).toBeInstanceOf(CodexTransportError);
    expect((messagesError as Error).message).toContain('closed');
    expect(() => t.send('{}')).toThrow(CodexTransportError);
  });

  it('completes messages$ on close()', async () => {
    const { url } = await echoServer();
    const t = transport({ url });
    await t.start();
    let completed = false;
    let errored: unknown;
    t.messages$.subscribe({ complete: () => (completed = true), error: (e) => (errored = e) });
    await t.close();
    expect(completed).toBe(true);
    expect(errored).toBeUndefined();
    await expect(t.close()).resolves.toBeUndefined();
  });
});
