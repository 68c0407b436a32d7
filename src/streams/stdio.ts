import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import spawn from 'cross-spawn';
import { asyncScheduler, Observable, SchedulerLike, Subject, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { NdjsonDecoder } from './ndjson';
import type { Transport } from './transport';

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
   * exits at once (bad arguments, bad config) rejects `start()` with its exit code. Default 100 ms (the real server exits on a bad flag after about 0.1 s; its handshake takes longer anyway).
   */
  startupGraceMs?: number;
  /** Clock of those waits. Default `asyncScheduler` (the client passes its own). */
  scheduler?: SchedulerLike;
  /**
   * Longest stdout line accepted, in bytes. A longer line is discarded as it streams (never held
   * whole) and reported as an `oversized-frame` diagnostic; the connection goes on. Default 64 MiB.
   */
  maxFrameBytes?: number;
}

/** Splits a command line like a POSIX shell would (quotes and backslashes; no expansion). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new TypeError(`unterminated ${quote} quote in command line: ${line}`);
  if (inWord) out.push(cur);
  return out;
}

export function defaultStdioCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env.CODEX_APP_SERVER_CMD?.trim();
  return fromEnv ? splitCommandLine(fromEnv) : [...DEFAULTS.stdioCommand];
}

/** Runs the app-server as a child process and speaks NDJSON over its stdin/stdout. */
export class StdioTransport implements Transport {
  readonly messages$: Observable<unknown>;
  readonly diagnostics$: Observable<Diagnostic>;
  private readonly messages = new Subject<unknown>();
  private readonly diagnostics = new Subject<Diagnostic>();
  private readonly command: string[];
  private child: ChildProcessWithoutNullStreams | null = null;
  private exited: Promise<void> | null = null;
  private closing = false;
  private startPromise: Promise<void> | null = null;
  private readonly scheduler: SchedulerLike;

  constructor(private readonly options: StdioTransportOptions = {}) {
    this.command = options.command?.length ? [...options.command] : defaultStdioCommand();
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.messages$ = this.messages.asObservable();
    this.diagnostics$ = this.diagnostics.asObservable();
  }

  /** The process id of the running server, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.closing && !this.startPromise) return Promise.reject(new CodexTransportError('stdio transport is closed', { code: 'closed' }));
    return (this.startPromise ??= this.spawn());
  }

  private spawn(): Promise<void> {
    const [file, ...args] = this.command;
    const shown = this.command.join(' ');
    if (!file) return Promise.reject(new CodexTransportError('stdio transport: empty command', { code: 'connect-failed' }));
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let graceTimer: Subscription | undefined;
      const fail = (err: CodexTransportError) => {
        if (settled) return;
        settled = true;
        timer.unsubscribe();
        graceTimer?.unsubscribe();
        reject(err);
      };
      const timeoutMs = this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      const timer = this.scheduler.schedule(() => {
        fail(new CodexTransportError(`'${shown}' did not spawn within ${timeoutMs} ms`, { code: 'connect-failed' }));
        this.child?.kill('SIGKILL');
      }, timeoutMs);
      let child: ChildProcessWithoutNullStreams;
      try {
        child = spawn(file, args, {
          cwd: this.options.cwd,
          env: { ...process.env, ...this.options.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        }) as ChildProcessWithoutNullStreams;
      } catch (err) {
        fail(new CodexTransportError(`cannot start '${shown}': ${(err as Error).message}`, { code: 'connect-failed', cause: err }));
        return;
      }
      this.child = child;
      this.exited = new Promise<void>((done) => child.once('close', () => done()));

      child.once('spawn', () => {
        const done = () => {
          if (settled) return;
          settled = true;
          timer.unsubscribe();
          resolve();
        };
        const grace = this.options.startupGraceMs ?? DEFAULTS.startupGraceMs;
        if (grace > 0) graceTimer = this.scheduler.schedule(done, grace);
        else done();
      });
      child.once('error', (err) => {
        const e = new CodexTransportError(`cannot start '${shown}': ${err.message}`, { code: 'connect-failed', cause: err });
        fail(e);
        if (!this.closing) this.messages.error(e);
      });
      child.stdin.on('error', () => {
        /* EPIPE after the server died: reported by 'exit' below */
      });
      child.once('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const err = new CodexTransportError(`'${shown}' exited with ${how}`, { code: 'exited', exitCode: code, signal });
        fail(err);
        // Let stdout drain before ending the stream ('close' fires after the pipes end).
        child.once('close', () => {
          if (this.closing) this.messages.complete();
          else this.messages.error(err);
          this.diagnostics.complete();
        });
      });

      // A direct listener: one framing step per chunk, no Observable hops before the Subject.
      const decoder = new NdjsonDecoder((value) => this.messages.next(value), this.options.maxFrameBytes);
      child.stdout.on('data', (chunk: Buffer) => decoder.push(chunk));
      // The end flushes a last line without newline (before 'close' ends messages$).
      child.stdout.once('end', () => decoder.end());
      // stderr is text, not JSON: each line is a diagnostic.
      let errTail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const lines = (errTail + chunk).split('\n');
        errTail = lines.pop() ?? '';
        for (const line of lines) this.stderrLine(line);
      });
      child.stderr.once('end', () => this.stderrLine(errTail));
    });
  }

  private stderrLine(line: string): void {
    if (line.trim()) this.diagnostics.next({ kind: 'stderr', message: line.replace(/\r$/, '') });
  }

  send(message: string): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || !child.stdin.writable) {
      throw new CodexTransportError('stdio transport is not connected', { code: this.child ? 'exited' : 'not-started' });
    }
    // Frames written in one tick leave in one system call (a burst of requests, or answers).
    if (!this.corked) {
      this.corked = true;
      child.stdin.cork();
      process.nextTick(this.uncork, child);
    }
    child.stdin.write(message + '\n');
  }

  private corked = false;
  private readonly uncork = (child: ChildProcessWithoutNullStreams) => {
    this.corked = false;
    child.stdin.uncork();
  };

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || !this.exited) {
      this.messages.complete();
      this.diagnostics.complete();
      return;
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      const grace = this.options.killGraceMs ?? DEFAULTS.killGraceMs;
      const term = this.scheduler.schedule(() => child.kill('SIGTERM'), Math.min(200, grace));
      const kill = this.scheduler.schedule(() => child.kill('SIGKILL'), grace);
      await this.exited;
      term.unsubscribe();
      kill.unsubscribe();
    } else {
      await this.exited;
    }
  }
}
