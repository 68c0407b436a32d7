/**
 * End-to-end: connections that survive, against the REAL `codex app-server`. The WebSocket link
 * runs through a TCP proxy of our own (spec/support/tcp-proxy.ts) so that it can be cut, held down
 * or black-holed while the server goes on; a stdio server is SIGKILLed; a Unix socket is used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { ConnectionState } from '../../src/engine/link-recovery';
import { CodexTransportError } from '../../src/errors';
import type { ConversationStep } from '../../src/models';
import type { WebSocketOptions } from '../../src/options';
import type { StdioTransport } from '../../src/streams/stdio';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { startListening, type ListeningServer } from '../support/listening-server';
import { isAlive } from '../support/process-helpers';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(60_000);

const TOKEN = 'codex-rx-reconnect-token';
let off: OfflineCodex;
const clients: CodexClient[] = [];
const track = (c: CodexClient) => (clients.push(c), c);

beforeAll(async () => {
  off = await startOfflineCodex({ features: { shell_snapshot: false } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(() => off?.dispose());

function states(client: CodexClient): ConnectionState[] {
  const seen: ConnectionState[] = [];
  client.connectionState$.subscribe((s) => seen.push(s));
  return seen;
}

describe('WebSocket with reconnect, through a proxy that cuts the link', () => {
  let server: ListeningServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    server = await startListening(off, { ws: true, token: TOKEN });
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port! });
  });
  afterEach(() => proxy.close());
  afterAll(() => server?.stop());

  const connect = (extra: WebSocketOptions = {}) =>
    track(CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${proxy.port}`, token: TOKEN, reconnect: true, ...extra }));

  /** The steps of a turn, and an action taken when it has started on the server. */
  async function turnWith(client: CodexClient, text: string, onStarted: () => unknown): Promise<ConversationStep[]> {
    const started = firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
    const steps = lastValueFrom(client.chat(text, { threadConfig: { cwd: off.workspace } }).pipe(toArray()));
    await started;
    await onStarted();
    return steps;
  }

  it('a turn that spans a cut link completes with its answer', async () => {
    const client = connect();
    const seen = states(client);
    await client.initialize();
    const steps = await turnWith(client, 'SLOW 1500 the answer after the cut', () => proxy.cut());
    expect(steps.filter((s) => s.stepType === 'codex').map((s) => s.text)).toEqual(['the answer after the cut']);
    expect(seen).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.stats).toMatchObject({ turns: 0, pendingRequests: 0 });
  });

  it('a message that completes while the link is down for seconds is emitted exactly once after the reconnect', async () => {
    const client = connect();
    const seen = states(client);
    await client.initialize();
    const steps = await turnWith(client, 'SLOW 300 completed in the dark', async () => {
      await proxy.down();
      await new Promise((r) => setTimeout(r, 3_000));
      await proxy.up();
    });
    expect(steps.filter((s) => s.stepType === 'codex').map((s) => s.text)).toEqual(['completed in the dark']);
    expect(new Set(steps.map((s) => s.itemId)).size).toBe(steps.length);
    expect(seen.slice(-2)).toEqual(['reconnecting', 'connected']);
    // the connection carries on
    expect((await client.chatOnce('ECHO after', { threadConfig: { cwd: off.workspace } })).finalText).toBe('Echo: after');
  });

  it('a half-open link is noticed by the heartbeat, and the turn completes', async () => {
    const client = connect({ heartbeatMs: 400 });
    await client.initialize();
    const steps = await turnWith(client, 'SLOW 1500 through the black hole', () => proxy.blackhole());
    expect(steps.filter((s) => s.stepType === 'codex').map((s) => s.text)).toEqual(['through the black hole']);
  });

  it('without reconnect a cut link fails the turn with code disconnected', async () => {
    const client = connect({ reconnect: false });
    await client.initialize();
    const err = await turnWith(client, 'SLOW 1500 never', () => proxy.cut()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect((err as CodexTransportError).code).toBe('disconnected');
  });

  it('refused credentials on a redial stop the retries: the client closes with auth-failed', async () => {
    const client = connect();
    await client.initialize();
    const closed = firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'closed')));
    const refusing = await startListening(off, { ws: true, token: 'another-token' });
    try {
      proxy.retarget({ host: '127.0.0.1', port: refusing.port! });
      const failure = turnWith(client, 'SLOW 1500 never', () => proxy.cut()).catch((e: unknown) => e);
      await closed;
      const err = await failure;
      expect(err).toBeInstanceOf(CodexTransportError);
      expect((err as CodexTransportError).code).toBe('auth-failed');
      await expect(client.listModels()).rejects.toMatchObject({ code: 'auth-failed' });
    } finally {
      await refusing.stop();
    }
  });
});

describe('stdio with restart', () => {
  it('a server SIGKILLed mid-turn fails that turn (exited); one killed between turns is restarted on next use, on the same thread', async () => {
    const client = track(off.client({ restart: true }));
    const seen = states(client);
    const thread = await client.startThread({ cwd: off.workspace });
    expect((await thread.chatOnce('ECHO one')).finalText).toBe('Echo: one');
    const pid = () => (client as unknown as { connection: { transport: StdioTransport } }).connection.transport.pid!;

    // killed mid-turn: that turn fails
    const first = pid();
    const hanging = thread.chatOnce('HANG').catch((e: unknown) => e);
    await firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
    process.kill(first, 'SIGKILL');
    const err = await hanging;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect((err as CodexTransportError).code).toBe('exited');
    expect(seen[seen.length - 1]).toBe('reconnecting');

    // the next use starts a fresh server, initializes it, resumes the thread
    expect((await thread.chatOnce('ECHO two')).finalText).toBe('Echo: two');
    const second = pid();
    expect(second).not.toBe(first);
    expect(isAlive(first)).toBe(false);

    // killed between turns: the same again
    process.kill(second, 'SIGKILL');
    await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'reconnecting')));
    expect((await thread.chatOnce('ECHO three')).finalText).toBe('Echo: three');
    expect(seen.filter((s) => s === 'connected')).toHaveLength(3);
  });

  it('a chat waiting behind a turn on its thread when the server is SIGKILLed opens the thread on the new server, then runs', async () => {
    const client = track(off.client({ restart: true }));
    const thread = await client.startThread({ cwd: off.workspace });
    expect((await thread.chatOnce('ECHO warm')).finalText).toBe('Echo: warm');
    const pid = (client as unknown as { connection: { transport: StdioTransport } }).connection.transport.pid!;
    const hanging = thread.chatOnce('HANG').catch((e: unknown) => e);
    await firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
    // Queued behind HANG on the same thread (one turn per thread): not sent yet.
    const queued = thread.chatOnce('ECHO queued');
    process.kill(pid, 'SIGKILL');
    expect(((await hanging) as CodexTransportError).code).toBe('exited');
    expect((await queued).finalText).toBe('Echo: queued');
    expect(client.stats).toMatchObject({ turns: 0, busyThreads: 0, pendingRequests: 0 });
  });

  it('a crash loop ends with restart-failed', async () => {
    // A "server" that dies at once every time.
    const client = track(
      CodexClient.connectStdio({
        command: [process.execPath, '-e', 'setTimeout(() => process.exit(7), 150)'],
        restart: { maxRestarts: 2, windowMs: 60_000, initialDelayMs: 10 },
        startupGraceMs: 0,
        requestTimeoutMs: 30_000,
      }),
    );
    // Each use finds the server dead (what it was doing fails: exited) and restarts it, until the loop is seen.
    const codes: string[] = [];
    let last: unknown;
    for (let i = 0; i < 6 && !codes.includes('restart-failed'); i++) {
      last = await client.listModels().catch((e: unknown) => e);
      codes.push((last as CodexTransportError).code);
    }
    // The first use finds it exited; the next ones restart it (and it dies again) until the loop is seen.
    expect(codes[0]).toBe('exited');
    expect(codes[codes.length - 1]).toBe('restart-failed');
    expect(codes.slice(1, -1).every((c) => c === 'exited')).toBe(true);
    expect((last as Error).message).toMatch(/died 3 times within 60000 ms; not restarted again \(last: .*exit code 7\)/);
    expect(await firstValueFrom(client.connectionState$)).toBe('closed');
  });
});

describe('connectUnix', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-unix-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a turn on the app-server listening on a Unix socket', async () => {
    const server = await startListening(off, { unix: path.join(dir, 'app-server.sock') });
    try {
      const client = track(CodexClient.connectUnix({ socketPath: server.address }));
      const result = await client.chatOnce('ECHO over a unix socket', { threadConfig: { cwd: off.workspace } });
      expect(result.finalText).toBe('Echo: over a unix socket');
      expect((await client.initialize()).serverVersion).toBe(off.serverVersion);
    } finally {
      await server.stop();
    }
  });

  it('by default dials the control socket under CODEX_HOME, where `--listen unix://` (and the daemon) listen', async () => {
    const server = await startListening(off, { unix: null });
    const saved = process.env.CODEX_HOME;
    process.env.CODEX_HOME = off.home.dir;
    try {
      const client = track(CodexClient.connectUnix());
      expect(server.address).toBe(path.join(off.home.dir, 'app-server-control', 'app-server-control.sock'));
      const result = await client.chatOnce('ECHO on the control socket', { threadConfig: { cwd: off.workspace } });
      expect(result.finalText).toBe('Echo: on the control socket');
    } finally {
      if (saved === undefined) delete process.env.CODEX_HOME;
      else process.env.CODEX_HOME = saved;
      await server.stop();
    }
  });
});

describe('finding the codex binary', () => {
  it('connectStdio() with no command and no CODEX_APP_SERVER_CMD runs the @openai/codex installed beside codex-rx', async () => {
    const client = track(CodexClient.connectStdio({ env: { ...off.env, CODEX_APP_SERVER_CMD: '' }, cwd: off.workspace }));
    const init = await client.initialize();
    expect(init.serverVersion).toBe(off.serverVersion);
    expect((await client.chatOnce('ECHO found it', { threadConfig: { cwd: off.workspace } })).finalText).toBe('Echo: found it');
  });
});
