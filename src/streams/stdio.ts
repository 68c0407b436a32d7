import type { Observable, SchedulerLike } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import { type BackoffOptions, backoffDelay, backoffOf } from './backoff';
import { NO_CODEX_HELP } from './codex-binary';
import { defaultStdioLaunch } from './command-line';
import { ServerProcess, ServerProcessSettings } from './server-process';
import type { Diagnostic } from '../models';
import type { LinkEvent, OutboundHandle, Transport } from './transport';
import { LinkLifecycle, linkBounds } from './transport-base';

export { defaultStdioCommand, defaultStdioLaunch, splitCommandLine } from './command-line';

/** Options of the stdio transport. */
export interface StdioTransportOptions {
  /**
   * argv of the server. Default: `CODEX_APP_SERVER_CMD` split like a shell, else the
   * `@openai/codex` installed beside codex-rx (its native binary), else `codex app-server` from the PATH.
   */
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
  /**
   * When the server dies unexpectedly, start a fresh one on next use (`true`: the defaults). The
   * turns running at that moment fail (`exited`); the client initializes the new server and
   * resumes threads as they are used. A crash loop (more than `maxRestarts` in `windowMs`) ends it
   * with `restart-failed`. Default off: the death fails the connection.
   */
  restart?: boolean | RestartOptions;
}

/** How a stdio server that died is restarted. */
export interface RestartOptions extends BackoffOptions {
  /** Restarts allowed within `windowMs`; one more is a crash loop (`restart-failed`). Default 5. */
  maxRestarts?: number;
  /** The window `maxRestarts` counts in. Default 60,000 ms. */
  windowMs?: number;
  /** Wait before a restart that follows another within the window (doubling up to `maxDelayMs`). Default 250 ms. */
  initialDelayMs?: number;
  /** Upper bound of the wait before a restart. Default 5,000 ms. */
  maxDelayMs?: number;
  /** Fraction of each wait that is random (0..1). Default 0. */
  jitter?: number;
}

/**
 * Runs the app-server as a child process and speaks NDJSON over its stdin/stdout. `messages$`
 * ends when the process exits, closes its stdout or stops reading (`CodexTransportError`, code
 * `exited` or `unresponsive`), within a second even when a grandchild holds the pipes; the child
 * is killed when the host process exits. With `restart`, a death is a `links$` event instead, and
 * the next use (`relink`) starts a fresh process.
 */
export class StdioTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  readonly links$: Observable<LinkEvent>;
  private readonly life = new LinkLifecycle<ServerProcess>(() => 'stdio transport is closed');
  private readonly settings: ServerProcessSettings;
  private readonly restart: Required<RestartOptions> | null;
  /** When the recent restarts happened (within the window). */
  private restarts: number[] = [];
  /** A restart's spawn until its outcome is handled: resolves with the process when close() must end it. */
  private restartSpawn: Promise<ServerProcess | null> | null = null;
  private lastDeath: CodexTransportError | null = null;

  /**
   * Settles the launch without spawning anything (that is `start()`): `command`, else the one
   * `CODEX_APP_SERVER_CMD` names, else the `codex` found beside codex-rx or on the server's `PATH`.
   */
  constructor(options: StdioTransportOptions = {}) {
    // No command: the one CODEX_APP_SERVER_CMD names, or the codex found beside codex-rx or on the
    // PATH the server would get (none: `start()` says how to get one).
    const launch = options.command?.length
      ? { command: [...options.command], env: {} }
      : defaultStdioLaunch({ ...process.env, ...options.env });
    this.settings = {
      command: launch?.command ?? [],
      cwd: options.cwd,
      env: { ...launch?.env, ...options.env },
      ...linkBounds(options),
      startupGraceMs: options.startupGraceMs ?? DEFAULTS.startupGraceMs,
      killGraceMs: options.killGraceMs ?? DEFAULTS.killGraceMs,
    };
    this.restart = backoffOf(options.restart, DEFAULTS.restart);
    this.messages$ = this.life.messages.observable;
    this.diagnostics$ = this.life.diagnostics.asObservable();
    this.links$ = this.life.links.asObservable();
  }

  /** The process id of the running server, if any. */
  get pid(): number | undefined {
    return this.life.link?.pid;
  }

  start(): Promise<void> {
    return this.life.start(async () => {
      if (this.settings.command.length === 0) throw new CodexTransportError(NO_CODEX_HELP, { code: 'connect-failed' });
      this.life.link = await this.spawnOne();
    });
  }

  private spawnOne(): Promise<ServerProcess> {
    return this.life.openLink(
      (events) => ServerProcess.spawn(this.settings, events),
      (err) => this.linkEnded(err),
    );
  }

  private linkEnded(err: CodexTransportError | null): void {
    this.life.link = null;
    if (this.life.closing || !err || !this.restart) {
      this.life.finish(this.life.closing ? null : err);
      return;
    }
    this.lastDeath = err;
    this.life.links.next({ type: 'down', error: err, resumable: false });
  }

  /** A dead server is restarted when it is next needed: now (within the restart limits). */
  relink(): void {
    if (this.life.link || this.life.retrying || this.life.finished || this.life.closing || !this.restart) return;
    const r = this.restart;
    const now = this.settings.scheduler.now();
    this.restarts = this.restarts.filter((t) => now - t < r.windowMs);
    if (this.restarts.length >= r.maxRestarts) {
      const last = this.lastDeath;
      this.life.finish(
        new CodexTransportError(
          `the server died ${this.restarts.length + 1} times within ${r.windowMs} ms; not restarted again${last ? ` (last: ${last.message})` : ''}`,
          { code: 'restart-failed', cause: last ?? undefined },
        ),
      );
      return;
    }
    // The first restart in the window at once; each later one after the backoff's delay.
    const delayMs = this.restarts.length === 0 ? 0 : backoffDelay(r, this.restarts.length);
    this.restarts.push(now);
    this.life.links.next({ type: 'retrying', attempt: this.restarts.length, delayMs });
    this.life.retrying = this.settings.scheduler.schedule(() => {
      this.restartSpawn = this.spawnOne().then(
        (server) => {
          this.life.retrying = null;
          this.restartSpawn = null;
          // close() came as the spawn ended (also after `spawning` was forgotten, a microtask
          // before this): the process is close()'s to end, which waits for this promise.
          if (this.life.closing) return server;
          this.life.link = server;
          this.life.links.next({ type: 'up' });
          return null;
        },
        (err: CodexTransportError) => {
          this.life.retrying = null;
          this.restartSpawn = null;
          this.lastDeath = err;
          this.relink();
          return null;
        },
      );
    }, delayMs);
  }

  send(message: string): OutboundHandle {
    if (!this.life.link) {
      throw new CodexTransportError(this.life.startPromise ? 'the stdio server is not running' : 'stdio transport is not started', {
        code: this.life.startPromise ? 'exited' : 'not-started',
      });
    }
    return this.life.link.write(message);
  }

  async close(): Promise<void> {
    this.life.closing = true;
    // A restart still in its backoff never spawns.
    this.life.retrying?.unsubscribe();
    const restart = this.restartSpawn;
    const spawning = this.life.opening;
    if (spawning) {
      // Spawning (the first start or a restart): the process ends now, not after its startup
      // grace; one that had just started is ended like a running server.
      await spawning.abort();
      await (await spawning.started.catch(() => null))?.kill();
    }
    // A restart's process that came up as close() began: not the server yet, but ours to end.
    if (restart) await (await restart)?.kill();
    if (this.life.startPromise) await this.life.startPromise.catch(() => undefined);
    await this.life.link?.kill();
    this.life.finish(null);
  }
}
