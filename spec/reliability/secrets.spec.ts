/**
 * Secrets nowhere: a password and a token in a URL, a bearer token, and secret command-line
 * arguments are planted in every transport and in the relay, every failure they can meet is
 * provoked, and each error (message, `String`, `stack`, `JSON.stringify`, `util.inspect` with hidden
 * fields), diagnostic, connection state and relay event is searched for them.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as util from 'node:util';
import { lastValueFrom, Subscription } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { CodexClient } from '../../src/client';
import { FakeAppServer } from '../../src/testing';
import { startRecording } from '../../src/testing/recording';
import { generateRelayToken, startRelay, StdioTransport, type RelayEvent } from '../../src/relay';
import { RelayTransport, type WebSocketConstructor } from '../../src/streams/relay-transport';

jest.setTimeout(30_000);

const PASSWORD = 'hunter2PLANTEDpw';
const QUERY_TOKEN = 'qtPLANTEDquery';
const BEARER = 'tokPLANTEDbearer';
const SECRET_ARGS = ['--api-key', 'PLANTEDplainArg', `--token=PLANTEDassigned`, 'sk-PLANTEDlooksLikeAKey123'];
const PLANTED = /PLANTED/;

/** Every way an error is shown or logged. */
function shown(value: unknown): string[] {
  if (value instanceof Error) {
    return [value.message, String(value), value.stack ?? '', JSON.stringify(value), util.inspect(value, { depth: 20, showHidden: true })];
  }
  return [
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    util.inspect(value, { depth: 20, showHidden: true }),
  ];
}

function expectClean(what: string, value: unknown): void {
  for (const text of shown(value)) {
    if (PLANTED.test(text)) throw new Error(`${what} shows a planted secret:\n${text}`);
  }
}

/** Watches a client's side channels until `dispose`. */
function watch(client: CodexClient) {
  const seen: unknown[] = [];
  const sub = new Subscription();
  sub.add(client.diagnostics$.subscribe((d) => seen.push(d)));
  sub.add(client.connectionState$.subscribe((s) => seen.push(s)));
  return {
    seen,
    dispose: () => sub.unsubscribe(),
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const secretUrl = (hostPort: string, path = '/') => `ws://user:${PASSWORD}@${hostPort}${path}?token=${QUERY_TOKEN}&x=1`;

describe('secrets stay out of errors, diagnostics, states and relay events', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });

  const wsClient = (url: string, extra: object = {}) => {
    const c = CodexClient.connectWebSocket({ url, token: BEARER, connectTimeoutMs: 300, ...extra });
    closers.push(() => c.close());
    return c;
  };

  it('WebSocket: a URL that does not parse is a redacted connect-failed', async () => {
    const c = wsClient(secretUrl('127.0.0.1:99999'));
    const w = watch(c);
    const err = await failure(c.start());
    expect(err).toMatchObject({
      name: 'CodexTransportError',
      code: 'connect-failed',
      message: expect.stringContaining('not a valid WebSocket URL'),
    });
    expect(err.message).toContain('***');
    expectClean('unparseable URL error', err);
    expectClean('its side channels', w.seen);
    w.dispose();
  });

  it('WebSocket: refused, silent, and refused-by-status servers', async () => {
    const closed = await freePort();
    const refused = await failure(wsClient(secretUrl(`127.0.0.1:${closed}`)).start());
    expect(refused).toMatchObject({ code: 'connect-failed' });
    expectClean('connection refused', refused);

    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => silent.close(resolve)));
    closers.push(async () => held.forEach((s) => s.destroy()));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const timeout = await failure(wsClient(secretUrl(`127.0.0.1:${silentPort}`)).start());
    expect(timeout).toMatchObject({ code: 'connect-failed', message: expect.stringContaining('no handshake') });
    expectClean('handshake timeout', timeout);

    const denying = http.createServer();
    denying.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((resolve) => denying.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => denying.close(resolve)));
    const auth = await failure(wsClient(secretUrl(`127.0.0.1:${(denying.address() as net.AddressInfo).port}`)).start());
    expect(auth).toMatchObject({ code: 'auth-failed' });
    expectClean('401', auth);
  });

  it('WebSocket: a link that drops, with and without reconnect', async () => {
    /** A server that drops its first link soon after it opens, and stops listening then (a redial is refused). */
    const dropping = async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((resolve) => wss.once('listening', resolve));
      closers.push(() => new Promise((resolve) => wss.close(resolve)));
      wss.once('connection', (socket) =>
        setTimeout(() => {
          wss.close();
          socket.close(1011, 'server went away');
        }, 100),
      );
      return (wss.address() as net.AddressInfo).port;
    };
    const port = await dropping();

    const plain = wsClient(secretUrl(`127.0.0.1:${port}`));
    const w = watch(plain);
    const dropped = failure(lastValueFrom(plain.frames$));
    await plain.start();
    expect(await dropped).toMatchObject({ code: 'disconnected' });
    expectClean('dropped link', await dropped);
    expectClean('side channels of the dropped link', w.seen);
    w.dispose();

    const redialing = wsClient(secretUrl(`127.0.0.1:${await dropping()}`), { reconnect: { maxAttempts: 1, initialDelayMs: 10 } });
    const w2 = watch(redialing);
    const gaveUp = failure(lastValueFrom(redialing.frames$));
    await redialing.start();
    expect(await gaveUp).toMatchObject({ name: 'CodexTransportError', code: 'restart-failed' });
    expectClean('reconnect that gave up', await gaveUp);
    expectClean('side channels of the reconnecting link', w2.seen);
    w2.dispose();
  });

  it('stdio: a command that cannot be spawned, and one that exits, keep their secret arguments to themselves', async () => {
    const missing = CodexClient.connectStdio({ command: ['/nonexistent/codex', 'app-server', ...SECRET_ARGS] });
    closers.push(() => missing.close());
    const w = watch(missing);
    const spawnErr = await failure(missing.start());
    expect(spawnErr).toMatchObject({ code: 'connect-failed', cause: expect.objectContaining({ code: 'ENOENT' }) });
    expect((spawnErr as Error & { cause: object }).cause).not.toHaveProperty('spawnargs');
    expectClean('spawn failure', spawnErr);
    expectClean('its side channels', w.seen);
    w.dispose();

    const exits = CodexClient.connectStdio({ command: [process.execPath, '-e', 'process.exit(3)', '--', ...SECRET_ARGS] });
    closers.push(() => exits.close());
    // It may exit within the start-up grace (start() rejects) or just after it (the stream fails).
    const exitErr = await failure(exits.start().then(() => lastValueFrom(exits.frames$)));
    expect(exitErr).toMatchObject({ code: 'exited', exitCode: 3 });
    expectClean('early exit', exitErr);
  });

  it('relay: RelayTransport errors, the close reason a browser gets, and the relay events', async () => {
    const token = generateRelayToken();
    const events: RelayEvent[] = [];
    const relay = await startRelay({
      token,
      allowedOrigins: [],
      upstream: () => new StdioTransport({ command: ['/nonexistent/codex', 'app-server', ...SECRET_ARGS] }),
    });
    closers.push(() => relay.close());
    const sub = relay.events$.subscribe((e) => events.push(e));
    const port = new URL(relay.url).port;
    const ws = WebSocket as unknown as WebSocketConstructor;

    const relayClient = (url: string, t = token) => {
      const c = new CodexClient(new RelayTransport({ url, token: t, WebSocket: ws, connectTimeoutMs: 2_000 }));
      closers.push(() => c.close());
      return c;
    };
    const wrongToken = await failure(relayClient(secretUrl(`127.0.0.1:${port}`, '/codex'), generateRelayToken()).start());
    expect(wrongToken).toMatchObject({ code: 'auth-failed' });
    expectClean('relay refusal', wrongToken);

    const unparseable = await failure(relayClient(secretUrl('127.0.0.1:99999', '/codex')).start());
    expect(unparseable).toMatchObject({ code: 'connect-failed' });
    expectClean('unparseable relay URL', unparseable);

    // the app-server cannot start: what the browser is told names no host path, no argument
    const noServer = await failure(relayClient(secretUrl(`127.0.0.1:${port}`, '/codex')).start());
    expect(noServer).toMatchObject({ code: 'connect-failed', message: expect.stringMatching(/app-server (did not start|exited)/) });
    expect(noServer.message).not.toContain('/nonexistent');
    expectClean('app-server did not start, as the browser sees it', noServer);

    await relay.close();
    sub.unsubscribe();
    expect(events.some((e) => e.type === 'diagnostic')).toBe(true);
    expectClean('relay events', events);
  });

  it('environments (experimental): an exec-server token stays out of errors, diagnostics and recordings', async () => {
    const TOKEN = 'envtokPLANTED0123456789';
    const server = new FakeAppServer();
    // A server whose refusals and status words echo the token (what the client must not pass on).
    server.handle('environment/add', (p) => {
      if (p.environmentId === 'refused') throw new Error(`refused bearer ${TOKEN}`);
      return {};
    });
    server.handle('environment/status', () => ({ status: 'disconnected' as const, error: `recovering with ${TOKEN}` }));
    // Held, as the real server holds it while the environment recovers.
    server.handle('turn/start', () => new Promise<undefined>(() => undefined));
    const client = server.client({ experimentalApi: true, environmentProbeMs: 10 });
    closers.push(() => client.close());
    const watched = watch(client);
    const recorder = startRecording(client);
    const seen: unknown[] = [];
    seen.push(await failure(client.addEnvironment({ id: 'refused', url: 'ws://127.0.0.1:1', token: TOKEN })));
    seen.push(await failure(client.addEnvironment({ id: 'local', url: 'ws://127.0.0.1:1', token: TOKEN })));
    seen.push(await failure(client.addEnvironment({ id: 'e', url: `http://u:${TOKEN}@h/`, token: TOKEN })));
    await client.addEnvironment({ id: 'e', url: 'ws://127.0.0.1:1', token: TOKEN });
    const thread = await client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    seen.push(await failure(thread.chatOnce('go')));
    expect(seen[3]).toMatchObject({ code: 'environment-disconnected', environmentId: 'e' });
    const recording = recorder.stop();
    watched.dispose();
    for (const e of seen) expectClean('environment error', e);
    expectClean('diagnostics', watched.seen);
    expect(JSON.stringify(recording)).toContain('environment/add');
    expectClean('recording', recording);
  });
});
