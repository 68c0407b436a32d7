import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import spawn from 'cross-spawn';
import type { Subscription } from 'rxjs';
import { CodexTransportError } from '../errors';
import { NdjsonDecoder } from './ndjson';
import { OutboundQueue } from './outbound-queue';
import { reapOnExit } from './reaper';
import { cleanSystemError, showCommand } from './redact';
import type { OutboundHandle } from './transport';
import type { LinkBounds, LinkEvents, Opening } from './transport-base';

/** How one server process is run (all resolved: see `StdioTransportOptions` for each). */
export interface ServerProcessSettings extends LinkBounds {
  readonly command: readonly string[];
  readonly cwd: string | undefined;
  readonly env: Record<string, string | undefined> | undefined;
  readonly startupGraceMs: number;
  readonly killGraceMs: number;
}

/**
 * A spawn in progress. `abort()` before `started` resolved: it rejects (`closed`) and the process
 * is ended; resolves when it has exited. After: nothing (the caller ends the process it got).
 */
export interface Spawning extends Opening<ServerProcess> {
  abort(): Promise<void>;
}

/**
 * Exit and the end of stdout come in either order. After one, how long to wait for the other: its
 * stdout may still drain after the process exited (but a grandchild that inherited the pipe can
 * hold it open for good), and a process whose stdout ended is usually exiting.
 */
const EXIT_DRAIN_MS = 250;

/** One run of `codex app-server` as a child process, speaking NDJSON on stdin/stdout. */
export class ServerProcess {
  private readonly queue: OutboundQueue;
  private readonly shown: string;
  private readonly exited: Promise<void>;
  private ended = false;
  private killing = false;
  private corked = false;
  private stdoutEnded = false;
  private exitError: CodexTransportError | null = null;
  private drainTimer: Subscription | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly settings: ServerProcessSettings,
    private readonly events: LinkEvents,
    shown: string,
  ) {
    this.shown = shown;
    const stdin = child.stdin;
    this.queue = new OutboundQueue(
      {
        write: (text) => {
          // Frames written in one tick leave in one system call (a burst of requests, or answers).
          if (!this.corked) {
            this.corked = true;
            stdin.cork();
            process.nextTick(() => {
              this.corked = false;
              stdin.uncork();
            });
          }
          return stdin.write(text);
        },
        get full() {
          return stdin.writableNeedDrain;
        },
      },
      { stallTimeoutMs: settings.writeStallTimeoutMs, maxQueuedBytes: settings.maxQueuedBytes },
      settings.scheduler,
      (err) => {
        this.end(err);
        void this.kill();
      },
    );
    stdin.on('drain', () => this.queue.drained());
    stdin.on('error', () => {
      /* EPIPE after the server died: its exit is reported */
    });
    this.exited = new Promise<void>((done) => child.once('exit', () => done()));
  }

  /**
   * Spawns the server and resolves once it has lived `startupGraceMs` (so that a server exiting
   * at once on bad arguments or config rejects, with its exit code). Rejects with
   * `CodexTransportError`: `connect-failed` when it cannot be spawned, `exited` when it exits first,
   * `closed` when aborted. Its `events.end` comes once the process can no longer be talked to: it
   * exited, closed its stdout, or stopped reading its stdin (`null` after `kill()`).
   */
  static spawn(settings: ServerProcessSettings, events: LinkEvents): Spawning {
    const [file, ...args] = settings.command;
    const shown = showCommand(settings.command);
    if (!file) {
      return {
        started: Promise.reject(new CodexTransportError('stdio transport: empty command', { code: 'connect-failed' })),
        abort: async () => undefined,
      };
    }
    let abort = async (): Promise<void> => undefined;
    const started = new Promise<ServerProcess>((resolve, reject) => {
      let settled = false;
      let grace: Subscription | undefined;
      const settle = (err: CodexTransportError | null) => {
        if (settled) return;
        settled = true;
        timeout.unsubscribe();
        grace?.unsubscribe();
        if (err) reject(err);
        else resolve(server);
      };
      const timeout = settings.scheduler.schedule(() => {
        settle(new CodexTransportError(`'${shown}' did not spawn within ${settings.connectTimeoutMs} ms`, { code: 'connect-failed' }));
        child?.kill('SIGKILL');
      }, settings.connectTimeoutMs);
      let child: ChildProcessWithoutNullStreams;
      try {
        child = spawn(file, args, {
          cwd: settings.cwd,
          env: { ...process.env, ...settings.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        }) as ChildProcessWithoutNullStreams;
      } catch (err) {
        const cause = cleanSystemError(err);
        settle(new CodexTransportError(`cannot start '${shown}': ${cause.message}`, { code: 'connect-failed', cause }));
        return;
      }
      const server = new ServerProcess(child, settings, events, shown);
      const unreap = reapOnExit(child);
      // Closing during the startup grace ends the process now, not once the grace is over.
      abort = async () => {
        if (settled) return;
        settle(new CodexTransportError(`'${shown}' closed by the client while starting`, { code: 'closed' }));
        await server.kill();
      };
      child.once('spawn', () => {
        if (settings.startupGraceMs > 0) grace = settings.scheduler.schedule(() => settle(null), settings.startupGraceMs);
        else settle(null);
      });
      child.once('error', (err) => {
        const cause = cleanSystemError(err);
        const e = new CodexTransportError(`cannot start '${shown}': ${cause.message}`, { code: 'connect-failed', cause });
        settle(e);
        server.end(e);
      });
      child.once('exit', (code, signal) => {
        unreap();
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const err = new CodexTransportError(`'${shown}' exited with ${how}`, { code: 'exited', exitCode: code, signal });
        settle(err);
        server.onExit(err);
      });
      server.listen();
    });
    return { started, abort: () => abort() };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends one line; the handle takes it back while it still waits in the queue. */
  write(line: string): OutboundHandle {
    if (this.ended || !this.child.stdin.writable) {
      throw new CodexTransportError(`'${this.shown}' is not running`, { code: 'exited' });
    }
    return this.queue.push(line + '\n');
  }

  /**
   * Ends the process: stdin closes (the server's cue to exit), then SIGTERM, then SIGKILL after
   * `killGraceMs`. Resolves when the process has exited, without waiting for pipes a grandchild
   * may still hold.
   */
  async kill(): Promise<void> {
    this.killing = true;
    this.queue.clear();
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      const grace = this.settings.killGraceMs;
      const term = this.settings.scheduler.schedule(() => child.kill('SIGTERM'), Math.min(200, grace));
      const kill = this.settings.scheduler.schedule(() => child.kill('SIGKILL'), grace);
      await this.exited;
      term.unsubscribe();
      kill.unsubscribe();
    }
    this.releasePipes();
    this.end(null);
  }

  private listen(): void {
    const child = this.child;
    // A direct listener: one framing step per chunk, no Observable hops before the transport.
    const decoder = new NdjsonDecoder((value) => this.events.message(value), this.settings.maxFrameBytes);
    child.stdout.on('data', (chunk: Buffer) => decoder.push(chunk));
    child.stdout.once('end', () => {
      decoder.end();
      this.stdoutEnded = true;
      if (this.exitError) this.end(this.exitError);
      else if (!this.killing) {
        this.drainTimer = this.settings.scheduler.schedule(() => {
          // Still alive but mute: nothing it says can reach us any more.
          this.end(new CodexTransportError(`'${this.shown}' closed its stdout`, { code: 'exited' }));
          void this.kill();
        }, EXIT_DRAIN_MS);
      }
    });
    // stderr is text, not JSON: each line is a diagnostic.
    let errTail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (errTail + chunk).split('\n');
      errTail = lines.pop() ?? '';
      for (const line of lines) this.stderrLine(line);
    });
    child.stderr.once('end', () => this.stderrLine(errTail));
  }

  private onExit(err: CodexTransportError): void {
    this.exitError = err;
    this.queue.clear();
    this.drainTimer?.unsubscribe();
    if (this.stdoutEnded || this.killing) {
      this.end(this.killing ? null : err);
      return;
    }
    // Let stdout drain what the server wrote before it exited, but not for a grandchild's sake.
    this.drainTimer = this.settings.scheduler.schedule(() => {
      this.releasePipes();
      this.end(err);
    }, EXIT_DRAIN_MS);
  }

  private releasePipes(): void {
    this.drainTimer?.unsubscribe();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  private stderrLine(line: string): void {
    if (line.trim()) this.events.diagnostic({ kind: 'stderr', message: line.replace(/\r$/, '') });
  }

  private end(err: CodexTransportError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.drainTimer?.unsubscribe();
    this.events.end(err);
  }
}
