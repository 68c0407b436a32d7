/**
 * Faults of the server process and its pipes, each as it happens: a real child that closes its
 * stdout and lives on, one that exits while a grandchild holds its stdout, one that stops reading
 * its stdin, and one that outlives a host that exits, throws or is signalled.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { filter, firstValueFrom } from 'rxjs';
import { CodexTransportError, CodexTimeoutError } from '../../src/errors';
import { JsonRpcConnection } from '../../src/streams/connection';
import { StdioTransport } from '../../src/streams/stdio';
import { stdioFake as fake } from '../support/fake-process';
import { isAlive } from '../support/process-helpers';

const SUPPORT = path.join(__dirname, '..', 'support');
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-proc-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Polls until `cond()` (a liveness wait, not a timing assertion). */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a server whose stdout ends', () => {
  it('closing its stdout while alive ends the connection (exited) and the process is killed', async () => {
    const client = fake();
    const pid = await client
      .initialize()
      .then(() => (client as unknown as { connection: { transport: StdioTransport } }).connection.transport.pid!);
    // The default inactivity timeout is 180 s: the turn must not wait for it.
    const err = await client.chatOnce('CLOSE_STDOUT').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'exited', message: expect.stringContaining('closed its stdout') });
    await until(() => !isAlive(pid), 'the mute server to be killed');
  });

  it('exiting while a grandchild holds stdout ends the connection at once, and close() does not wait for the grandchild', async () => {
    const client = fake();
    let grandchild = 0;
    client.diagnostics$.subscribe((d) => {
      const m = /^grandchild (\d+)$/.exec(d.message);
      if (m) grandchild = Number(m[1]);
    });
    try {
      const err = await client.chatOnce('GRANDCHILD_EXIT').catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'CodexTransportError', code: 'exited', exitCode: 0 });
      await client.close();
      expect(grandchild).toBeGreaterThan(0);
      expect(isAlive(grandchild)).toBe(true); // still holding the pipe: close() did not wait for it
    } finally {
      if (grandchild && isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });
});

describe('a server that stops reading its stdin', () => {
  const start = async (pause: string, writeStallTimeoutMs: number | null) => {
    const log = path.join(dir, 'read.log');
    const transport = new StdioTransport({
      command: [process.execPath, path.join(SUPPORT, 'sleepy-server.js'), pause, log],
      writeStallTimeoutMs,
    });
    const conn = new JsonRpcConnection(transport, { requestTimeoutMs: 60_000 });
    const ready = firstValueFrom(conn.diagnostics$.pipe(filter((d) => d.message === 'sleepy ready')));
    await conn.start();
    await ready;
    return { conn, transport, log };
  };
  /** Enough to fill the pipe (64 KiB) and stdin's buffer (16 KiB) many times over. */
  const big = { blob: 'x'.repeat(2 * 1024 * 1024) };

  it('a request that timed out while waiting to go out never reaches the server', async () => {
    const { conn, log } = await start('1500', null);
    try {
      const filler = conn.request('filler/one', big);
      const late = conn.request('late/one', {}, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(await late).toBeInstanceOf(CodexTimeoutError);
      const after = conn.request('after/one', {});
      await expect(filler).resolves.toEqual({ ok: true });
      await expect(after).resolves.toEqual({ ok: true });
      expect(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual(['filler/one', 'after/one']);
    } finally {
      await conn.close();
    }
  });

  it('one that never reads again fails the connection with code unresponsive after writeStallTimeoutMs', async () => {
    const { conn, transport } = await start('never', 300);
    const pid = transport.pid!;
    const pending = conn.request('filler/one', big).catch((e: unknown) => e);
    const err = await pending;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'unresponsive', message: expect.stringContaining('has not read what was sent for 300 ms') });
    await until(() => !isAlive(pid), 'the deaf server to be killed');
    await conn.close();
  });
});

describe('a server that outlives its host', () => {
  let host: string;
  beforeAll(() => {
    host = path.join(os.tmpdir(), `codex-rx-orphan-host-${process.pid}.js`);
    buildSync({ entryPoints: [path.join(SUPPORT, 'orphan-host.ts')], bundle: true, platform: 'node', outfile: host, logLevel: 'silent' });
  });
  afterAll(() => fs.rmSync(host, { force: true }));

  it.each(['exit', 'throw', 'sigterm', 'sigint'])('is killed when the host ends by %s', async (how) => {
    const child = spawn(process.execPath, [host, how, path.join(SUPPORT, 'stubborn-server.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const { code, signal } = await ended;
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    // The host ended the way it would have without codex-rx...
    if (how === 'exit') expect(code).toBe(0);
    if (how === 'throw') expect(code).toBe(1);
    if (how === 'sigterm') expect(signal).toBe('SIGTERM');
    if (how === 'sigint') expect(signal).toBe('SIGINT');
    // ...and took its stubborn server with it.
    try {
      await until(() => !isAlive(pid), 'the server to die with its host', 3_000);
    } finally {
      if (isAlive(pid)) spawnSync('kill', ['-9', String(pid)]);
    }
  });
});
