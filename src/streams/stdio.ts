import { asyncScheduler, Observable, SchedulerLike, Subject } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { defaultStdioCommand } from './command-line';
import { ServerProcess, ServerProcessSettings } from './server-process';
import type { OutboundHandle, Transport } from './transport';

export { defaultStdioCommand, splitCommandLine } from './command-line';

/** Options of the stdio transport. */
export interface StdioTransportOptions {
  /** argv of the server. Default: `CODEX_APP_SERVER_CMD` split like a shell, else `['codex', 'app-server']`. */
  command?: string[];
  /** Working directory of the server process. */
  cwd?: string;
  /** Environment entries merged over `process.env`. */
  env?: Record<string, string | undefined>;
  /** How long `start()` waits for the process to spawn. Default 30,000 ms. */
  connectTimeoutMs?: number;
  /** How long `close()` waits after SIGTERM before SIGKILL. Default 2,000 ms. */
  killGraceMs?: number;
  /**
   * How long `start()` watches a freshly spawned process before resolving, so that a server that
   * exits at once (bad arguments, bad config) rejects `start()` with its exit code. Default 100 ms
   * (the real server exits on a bad flag after about 0.1 s; its handshake takes longer anyway).
   */
  startupGraceMs?: number;
  /** Clock of those waits. Default `asyncScheduler` (the client passes its own). */
  scheduler?: SchedulerLike;
  /**
   * Longest stdout line accepted, in bytes. A longer line is discarded as it streams (never held
   * whole) and reported as an `oversized-frame` diagnostic; the connection goes on. Default 64 MiB.
   */
  maxFrameBytes?: number;
  /**
   * A server whose stdin stays full this long has stopped reading: the connection fails with
   * `CodexTransportError` code `unresponsive` and the process is killed. `null`: never. Default 30,000 ms.
   */
  writeStallTimeoutMs?: number | null;
}

/**
 * Runs the app-server as a child process and speaks NDJSON over its stdin/stdout. `messages$`
 * ends when the process exits, closes its stdout or stops reading (`CodexTransportError`, code
 * `exited` or `unresponsive`), within a second even when a grandchild holds the pipes; the child
 * is killed when the host process exits.
 */
export class StdioTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  private readonly messages = new Subject<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly settings: ServerProcessSettings;
  private server: ServerProcess | null = null;
  private startPromise: Promise<void> | null = null;
  private closing = false;

  constructor(options: StdioTransportOptions = {}) {
    this.settings = {
      command: options.command?.length ? [...options.command] : defaultStdioCommand(),
      cwd: options.cwd,
      env: options.env,
      scheduler: options.scheduler ?? asyncScheduler,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      startupGraceMs: options.startupGraceMs ?? DEFAULTS.startupGraceMs,
      killGraceMs: options.killGraceMs ?? DEFAULTS.killGraceMs,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      writeStallTimeoutMs: options.writeStallTimeoutMs === undefined ? DEFAULTS.writeStallTimeoutMs : options.writeStallTimeoutMs,
      maxQueuedBytes: DEFAULTS.maxQueuedBytes,
    };
    this.messages$ = this.messages.asObservable();
    this.diagnostics$ = this.diagnostics.asObservable();
  }

  /** The process id of the running server, if any. */
  get pid(): number | undefined {
    return this.server?.pid;
  }

  start(): Promise<void> {
    if (this.closing && !this.startPromise) return Promise.reject(new CodexTransportError('stdio transport is closed', { code: 'closed' }));
    return (this.startPromise ??= this.spawn());
  }

  private async spawn(): Promise<void> {
    this.server = await ServerProcess.spawn(this.settings, {
      message: (value) => this.messages.next(value),
      diagnostic: (d) => this.diagnostics.next(d),
      end: (err) => {
        if (err && !this.closing) this.messages.error(err);
        else this.messages.complete();
        this.diagnostics.complete();
      },
    });
  }

  send(message: string): OutboundHandle {
    if (!this.server) throw new CodexTransportError('stdio transport is not started', { code: 'not-started' });
    return this.server.write(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    if (server) await server.kill();
    else if (this.startPromise) {
      // Still spawning: let it finish (or fail), then end it.
      await this.startPromise.catch(() => undefined);
      await this.server?.kill();
    }
    this.messages.complete();
    this.diagnostics.complete();
  }
}
