/**
 * Node only: real offline `codex exec-server`s for tests of remote environments (see
 * `startOfflineCodex({ execServers })`). Each listens on a loopback port of its own, runs in a
 * workspace of its own, and optionally takes a capability token.
 *
 * Facts about codex-cli 0.171.0 that shaped this file: `codex exec-server --listen ws://127.0.0.1:0`
 * prints the URL it bound (one line on stdout) and serves until killed; `--ws-auth capability-token
 * --ws-token-file ABS` makes it ask for `Authorization: Bearer TOKEN`; a restarted one may bind the
 * same port again (so an app-server that knew it reconnects to the same URL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { asyncScheduler } from 'rxjs';

/** How long an exec-server may take to print its URL. */
const LISTEN_TIMEOUT_MS = 30_000;

/** One exec-server that `startOfflineCodex({ execServers })` started. */
export interface OfflineExecServer {
  /** An environment id for it (`exec-1`, `exec-2`, ...): what `addEnvironment({ id })` can use. */
  readonly id: string;
  /** Its WebSocket URL (`ws://127.0.0.1:PORT`); the same after `restart()`. */
  readonly url: string;
  /** The directory it runs in: its own, empty at the start; a thread placed on it uses it as `cwd`. */
  readonly workspace: string;
  /** Its capability token (with `execServerTokens`), else null. */
  readonly token: string | null;
  /** Whether it runs (false between `kill()` and `restart()`, and once it exited on its own). */
  readonly running: boolean;
  /** Kills it (SIGKILL: a crash, not a goodbye) and resolves once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill()`; a running one is killed first). */
  restart(): Promise<void>;
}

/** How `startExecServer` launches one. */
export interface ExecServerLaunch {
  /** argv of the codex binary (`resolveCodexLaunch().command`). */
  readonly command: readonly string[];
  /** Its environment (the binary's variables and `CODEX_HOME`). */
  readonly env: Record<string, string>;
  /** The id to give it. */
  readonly id: string;
  /** Whether it takes a capability token. */
  readonly withToken: boolean;
}

/** Starts one exec-server in a fresh workspace (and, with a token, a token file beside it). */
export async function startExecServer(launch: ExecServerLaunch): Promise<OfflineExecServer & { dispose(): Promise<void> }> {
  const workspace = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `codex-rx-${launch.id}-`)));
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-exec-token-'));
  const token = launch.withToken ? randomBytes(24).toString('hex') : null;
  const auth: string[] = [];
  if (token !== null) {
    const file = path.join(secrets, 'token');
    fs.writeFileSync(file, token, { mode: 0o600 });
    auth.push('--ws-auth', 'capability-token', '--ws-token-file', file);
  }
  let child: ChildProcess | null = null;
  let url = '';
  const listen = async (address: string): Promise<void> => {
    const [bin, ...args] = launch.command;
    const proc = spawn(bin!, [...args, 'exec-server', '--listen', address, ...auth], {
      cwd: workspace,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    // The tail of stderr, for the error when it exits before listening.
    proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      // A server that neither prints its URL nor exits must not hang the test kit.
      const deadline = asyncScheduler.schedule(() => {
        proc.kill('SIGKILL');
        reject(new Error(`exec-server ${launch.id} printed no URL within ${LISTEN_TIMEOUT_MS} ms: ${stderr.trim()}`));
      }, LISTEN_TIMEOUT_MS);
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = /^(ws:\/\/\S+)\r?\n/m.exec(out);
        if (!line) return;
        deadline.unsubscribe();
        resolve(line[1]!);
      });
      proc.once('exit', (code, signal) => {
        deadline.unsubscribe();
        reject(new Error(`exec-server ${launch.id} exited (${code ?? signal}) before printing its URL: ${stderr.trim()}`));
      });
      proc.once('error', (err) => (deadline.unsubscribe(), reject(err)));
    });
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };
  try {
    await listen('ws://127.0.0.1:0');
  } catch (err) {
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(secrets, { recursive: true, force: true });
    throw err;
  }
  return {
    id: launch.id,
    get url() {
      return url;
    },
    workspace,
    token,
    get running() {
      const proc: ChildProcess | null = child;
      return proc !== null && proc.exitCode === null && proc.signalCode === null;
    },
    kill,
    async restart() {
      await kill();
      await listen(url);
    },
    async dispose() {
      await kill();
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.rmSync(secrets, { recursive: true, force: true });
    },
  };
}
