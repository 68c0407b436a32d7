/**
 * The real `codex app-server` listening on a WebSocket port or a Unix socket (`--listen`), against
 * an offline setup (`startOfflineCodex()`), for end-to-end specs of those transports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { defaultControlSocket } from '../../src/streams/unix';
import type { OfflineCodex } from '../../src/testing/real-server';

export interface ListeningServer {
  readonly process: ChildProcess;
  /** `ws://127.0.0.1:PORT` or the socket path. */
  readonly address: string;
  readonly port: number | null;
  readonly stderr: string[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server with `--listen ws://127.0.0.1:PORT` (and capability-token auth when `token`),
 * `unix://socket`, or `unix://` (`unix: null`: the default control socket under its CODEX_HOME).
 */
export async function startListening(
  off: OfflineCodex,
  on: { ws: true; token?: string } | { unix: string | null },
): Promise<ListeningServer> {
  const [file, ...args] = off.command;
  let listen: string[];
  let port: number | null = null;
  let address: string;
  if ('unix' in on) {
    address = on.unix ?? defaultControlSocket({ CODEX_HOME: off.home.dir });
    listen = ['--listen', `unix://${on.unix ?? ''}`];
  } else {
    port = await freePort();
    address = `ws://127.0.0.1:${port}`;
    listen = ['--listen', address];
    if (on.token) {
      const tokenFile = path.join(off.home.dir, 'ws-token');
      fs.writeFileSync(tokenFile, on.token, { mode: 0o600 });
      listen.push('--ws-auth', 'capability-token', '--ws-token-file', tokenFile);
    }
  }
  const proc = spawn(file!, [...args, ...listen], {
    env: { ...process.env, ...off.env },
    cwd: off.workspace,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => stderr.push(c));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`app-server exited before listening:\n${stderr.join('')}`);
    if (await listening(port, address)) break;
    if (Date.now() > deadline) throw new Error(`app-server did not listen on ${address}:\n${stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: proc,
    address,
    port,
    stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

async function listening(port: number | null, address: string): Promise<boolean> {
  if (port !== null) {
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    } catch {
      return false;
    }
  }
  if (!fs.existsSync(address)) return false;
  return new Promise((resolve) => {
    const s = net.connect(address, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}
