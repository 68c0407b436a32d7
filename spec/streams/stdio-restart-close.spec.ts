/**
 * `close()` of a `restart: true` stdio client while the server that died is being replaced: in
 * the restart's backoff, or while the fresh process spawns (its `startupGraceMs`). The restart is
 * cancelled or its process ended, and `close()` resolves only once every process it spawned has
 * exited. Real child processes: the fake app-server, each run logging its pid (a `--require`d
 * preload) so that the spec knows a process the transport has not handed over yet.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';
import type { StdioOptions } from '../../src/options';
import { ServerProcess } from '../../src/streams/server-process';
import { StdioTransport } from '../../src/streams/stdio';
import { FAKE_SERVER } from '../support/fake-process';
import { isAlive } from '../support/process-helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A startup grace (or restart backoff) close() must not wait out: half of it bounds close(). */
const GRACE_MS = 20_000;
const RESPAWN_GRACE_MS = 4_000;

let dir: string;
let pidLog: string;
let preload: string;
const clients: CodexClient[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-restart-'));
  pidLog = path.join(dir, 'pids');
  preload = path.join(dir, 'log-pid.js');
  fs.writeFileSync(preload, "require('fs').appendFileSync(process.env.PID_LOG, process.pid + '\\n');\n");
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const pid of pids()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(pidLog, { force: true });
});

/** Every fake server started so far, oldest first. */
function pids(): number[] {
  if (!fs.existsSync(pidLog)) return [];
  return fs.readFileSync(pidLog, 'utf8').split('\n').filter(Boolean).map(Number);
}

function fake(options: Partial<StdioOptions>): CodexClient {
  const client = CodexClient.connectStdio({
    command: [process.execPath, '--require', preload, FAKE_SERVER],
    env: { PID_LOG: pidLog },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Polls (every 10 ms, up to 5 s) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
}

/** Makes the running server exit with code 1 and waits until the client saw it die. */
async function killServer(client: CodexClient, states: string[]): Promise<void> {
  const seen = states.length;
  await expect(client.request('fake/exit', { code: 1 })).rejects.toBeInstanceOf(CodexTransportError);
  await until(() => states.slice(seen).includes('reconnecting'));
}

describe('close() while the first spawn is in progress', () => {
  it('start() fails with code closed; close() resolves once the process has exited, without waiting out the startup grace', async () => {
    // A startup grace far longer than any close() takes, even on a loaded machine.
    const client = fake({ startupGraceMs: GRACE_MS });
    const started = client.start().then(
      () => 'started',
      (e: CodexTransportError) => `${e.name}/${e.code}`,
    );
    await until(() => pids().length === 1);
    expect(pids()).toHaveLength(1);
    const t0 = Date.now();
    await client.close();
    expect(pids().filter(isAlive)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(GRACE_MS / 2);
    expect(await started).toBe('CodexTransportError/closed');
  });
});

describe('close() of a restart: true stdio client while the dead server is being replaced', () => {
  it('during the spawn of the fresh process: close() resolves only after it has exited; no process outlives close()', async () => {
    // A long startup grace: the spawn is still in progress when close() comes.
    // (The first spawn waits the grace out too: here it is long enough, not the longest.)
    const client = fake({ restart: { initialDelayMs: 10 }, startupGraceMs: RESPAWN_GRACE_MS });
    const states: string[] = [];
    client.connectionState$.subscribe((s) => states.push(s));
    await client.initialize();
    await killServer(client, states);
    // The next use restarts the server (the first restart has no delay).
    const waiting = client.request('model/list').then(
      () => 'ok',
      (e: CodexTransportError) => `${e.name}/${e.code}`,
    );
    await until(() => pids().length === 2);
    expect(pids()).toHaveLength(2);
    const t0 = Date.now();
    await client.close();
    expect(pids().filter(isAlive)).toEqual([]);
    // The spawn was aborted: close() did not wait out the startup grace.
    expect(Date.now() - t0).toBeLessThan(RESPAWN_GRACE_MS / 2);
    expect(await waiting).toBe('CodexTransportError/closed');
    expect(states.at(-1)).toBe('closed');
    // And no restart happens afterwards.
    await sleep(200);
    expect(pids()).toHaveLength(2);
  });

  it('during the backoff before a restart: nothing more is spawned; no process outlives close()', async () => {
    // The second restart within the window waits initialDelayMs.
    const client = fake({ restart: { initialDelayMs: GRACE_MS }, startupGraceMs: 0 });
    const states: string[] = [];
    client.connectionState$.subscribe((s) => states.push(s));
    await client.initialize();
    await killServer(client, states);
    await client.request('model/list');
    await killServer(client, states);
    const waiting = client.request('model/list').then(
      () => 'ok',
      (e: CodexTransportError) => `${e.name}/${e.code}`,
    );
    await sleep(100);
    expect(pids()).toHaveLength(2);
    const t0 = Date.now();
    await client.close();
    expect(Date.now() - t0).toBeLessThan(GRACE_MS / 2);
    expect(pids().filter(isAlive)).toEqual([]);
    expect(await waiting).toBe('CodexTransportError/closed');
    await sleep(200);
    expect(pids()).toHaveLength(2);
  });

  it('in the microtask between a restart spawn settling and the restart taking its process: that process is ended too', async () => {
    const transport = new StdioTransport({
      command: [process.execPath, '-e', 'process.stdin.resume(); setInterval(() => {}, 1000)'],
      restart: { initialDelayMs: 0 },
      startupGraceMs: 20,
    });
    transport.messages$.subscribe({ error: () => undefined });
    transport.links$!.subscribe();
    await transport.start();
    const started = [transport.pid!];
    let closing: Promise<void> | undefined;
    const spawn = ServerProcess.spawn.bind(ServerProcess);
    // close() as a reaction registered after the transport's own on the restart's `started`:
    // the transport has forgotten the spawn, and not yet taken its process.
    const spy = jest.spyOn(ServerProcess, 'spawn').mockImplementation((settings, events) => {
      const spawning = spawn(settings, events);
      queueMicrotask(() =>
        spawning.started.then(
          (server) => {
            started.push(server.pid!);
            closing = transport.close();
          },
          () => undefined,
        ),
      );
      return spawning;
    });
    try {
      process.kill(started[0]!, 'SIGKILL');
      await until(() => transport.pid === undefined);
      transport.relink();
      await until(() => closing !== undefined);
      await closing;
      expect(started).toHaveLength(2);
      expect(started.filter(isAlive)).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
