/**
 * End-to-end: CodexClient over WebSocket to the REAL `codex app-server --listen ws://...` (the pinned version, or the one `npm run test:latest` installs),
 * started here with capability-token auth, against the scripted model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(60_000);

const TOKEN = 'codex-rx-e2e-capability-token';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`app-server exited (${server.exitCode ?? server.signalCode}) before ${url} answered`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('CodexClient over WebSocket against the real app-server', () => {
  let off: OfflineCodex;
  let server: ChildProcess;
  let serverExited: Promise<void>;
  let url: string;
  const stderr: string[] = [];
  const clients: CodexClient[] = [];

  const track = (c: CodexClient) => (clients.push(c), c);

  beforeAll(async () => {
    off = await startOfflineCodex();
    const tokenFile = path.join(off.home.dir, 'ws-token');
    fs.writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    const port = await freePort();
    url = `ws://127.0.0.1:${port}`;
    const [file, ...args] = off.command;
    server = spawn(file!, [...args, '--listen', url, '--ws-auth', 'capability-token', '--ws-token-file', tokenFile], {
      env: { ...process.env, ...off.env },
      cwd: off.workspace,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    serverExited = new Promise((resolve) => server.once('exit', () => resolve()));
    server.stderr!.setEncoding('utf8');
    server.stderr!.on('data', (chunk: string) => stderr.push(chunk));
    try {
      await waitReady(`http://127.0.0.1:${port}/readyz`, server, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstderr:\n${stderr.join('')}`);
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      const kill = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await serverExited;
      clearTimeout(kill);
    }
    await off?.dispose();
  });

  it('initialize, listModels and a chat turn over the socket', async () => {
    const client = track(CodexClient.connectWebSocket({ url, token: TOKEN }));
    const init = await client.initialize();
    expect(init.raw).toMatchObject({ codexHome: off.home.dir });
    expect(init.serverInfo?.userAgent).toContain('(codex-rx; 0.1.0)');

    const models = await client.listModels();
    expect(models.data.map((m) => m.id)).toEqual(['mock-model']);

    const result = await client.chatOnce('ECHO ws', { threadConfig: { cwd: off.workspace } });
    expect(result.finalText).toBe('Echo: ws');
    expect(result.completionSource).toBe('item_completed');
    expect(off.model.requests.at(-1)?.userText).toBe('ECHO ws');
    const read = await client.readThread(result.threadId, { includeTurns: true });
    expect(read.thread.cwd).toBe(off.workspace);
    expect(read.thread.turns.map((t) => t.id)).toEqual([result.turnId]);

    await client.close();
    await expect(client.request('model/list')).rejects.toBeInstanceOf(CodexTransportError);
  });

  it('a wrong token: start() rejects with CodexTransportError naming HTTP 401, without hanging', async () => {
    const client = track(CodexClient.connectWebSocket({ url, token: 'not-the-token' }));
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), 5_000)));
    const outcome = await Promise.race([
      client.start().then(
        () => 'connected' as const,
        (e: unknown) => e,
      ),
      hang,
    ]);
    clearTimeout(timer);
    expect(outcome).toBeInstanceOf(CodexTransportError);
    expect((outcome as Error).message).toContain('401');

    // No token at all is refused the same way.
    const anonymous = track(CodexClient.connectWebSocket({ url, token: '' }));
    await expect(anonymous.start()).rejects.toThrow(/401/);
  });

  describe('env defaults', () => {
    const saved = { url: process.env.CODEX_APP_SERVER_WS_URL, token: process.env.CODEX_APP_SERVER_TOKEN };
    afterEach(() => {
      for (const [key, value] of [
        ['CODEX_APP_SERVER_WS_URL', saved.url],
        ['CODEX_APP_SERVER_TOKEN', saved.token],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('connectWebSocket() with no options uses CODEX_APP_SERVER_WS_URL and CODEX_APP_SERVER_TOKEN', async () => {
      process.env.CODEX_APP_SERVER_WS_URL = url;
      process.env.CODEX_APP_SERVER_TOKEN = TOKEN;
      const client = track(CodexClient.connectWebSocket());
      const init = await client.initialize();
      expect(init.raw).toMatchObject({ codexHome: off.home.dir });
      expect((await client.listModels()).data.map((m) => m.id)).toEqual(['mock-model']);
      await client.close();
    });
  });
});
