/**
 * A deliberately minimal NDJSON JSON-RPC client over a child process' stdio, with no RxJS and no
 * code from src/, so e2e specs and benchmarks can talk to the real `codex app-server` directly.
 *
 * Server facts it relies on (codex-cli 0.169.0): one JSON object per line, no "jsonrpc" field,
 * responses may come out of order, server→client request ids start at 0 (falsy), every
 * notification has an extra `emittedAtMs`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
  [key: string]: unknown;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface BareClientOptions {
  /** argv: program then args. */
  command: string[];
  /** Merged over process.env. */
  env?: Record<string, string>;
  cwd?: string;
  /** Every server notification (no id). */
  onNotification?: (msg: { method: string; params: any }) => void;
  /** Every server request (has id and method); answer it with respond() / respondError(). */
  onServerRequest?: (msg: { id: number | string; method: string; params: any }) => void;
  /** Collected stderr is kept in `stderr`; this sees it live. */
  onStderr?: (chunk: string) => void;
}

export class BareClient {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number | string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private buffer = '';
  private readonly exited: Promise<number | null>;

  constructor(private readonly options: BareClientOptions) {
    const [program, ...args] = options.command;
    this.child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
      options.onStderr?.(chunk);
    });
    // Writes after the process died would otherwise throw EPIPE asynchronously.
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        const err = new Error(`codex app-server exited (code ${code}) with ${this.pending.size} pending requests`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve(code);
      });
      this.child.once('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        resolve(null);
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: RpcMessage;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // not ours to judge; a real client would surface it
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: RpcMessage): void {
    const hasId = msg.id !== undefined && msg.id !== null;
    if (hasId && msg.method !== undefined) {
      this.options.onServerRequest?.({ id: msg.id as number | string, method: msg.method, params: msg.params });
    } else if (hasId) {
      const p = this.pending.get(msg.id as number | string);
      if (!p) return;
      this.pending.delete(msg.id as number | string);
      if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
      else p.resolve(msg.result);
    } else if (msg.method !== undefined) {
      this.options.onNotification?.({ method: msg.method, params: msg.params });
    }
  }

  private write(msg: object): void {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
  }

  request<T = any>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write(params === undefined ? { id, method } : { id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    this.write(params === undefined ? { method } : { method, params });
  }

  respond(id: number | string, result: unknown): void {
    this.write({ id, result });
  }

  respondError(id: number | string, code: number, message: string): void {
    this.write({ id, error: { code, message } });
  }

  /** initialize → initialized, the handshake every session needs. */
  async initialize(name = 'bare-client'): Promise<any> {
    const result = await this.request('initialize', { clientInfo: { name, version: '0.0.0' } });
    this.notify('initialized');
    return result;
  }

  /** Closes stdin, then SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async close(graceMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
