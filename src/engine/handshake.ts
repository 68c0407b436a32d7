import type { InitializeResult } from '../models';
import type { InitializeOptions, RequestOptions } from '../options';
import type { JsonRpcConnection } from '../streams/connection';

/**
 * The `initialize` handshake of one connection: run once (later calls get the cached result), then
 * the `initialized` notification. Requests made before it wait for it.
 */
export class Handshake {
  private promise: Promise<InitializeResult> | null = null;
  private done = false;

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly clientInfo: { name: string; version: string; title?: string },
  ) {}

  /** True once `initialized` was sent. */
  get initialized(): boolean {
    return this.done;
  }

  initialize(params: Record<string, unknown> = {}, opts: InitializeOptions = {}): Promise<InitializeResult> {
    return (this.promise ??= this.run(params, opts).catch((err) => {
      this.promise = null;
      throw err;
    }));
  }

  /** Null when the handshake is done (no promise per call on the hot path), else its completion. */
  ready(): Promise<void> | null {
    return this.done ? null : this.initialize().then(() => undefined);
  }

  /** A request sent after the handshake (which it runs first when needed). */
  request(method: string, params?: unknown, opts?: RequestOptions): Promise<unknown> {
    if (this.done || method === 'initialize') return this.connection.request(method, params, opts);
    return this.initialize().then(() => this.connection.request(method, params, opts));
  }

  private async run(params: Record<string, unknown>, opts: InitializeOptions): Promise<InitializeResult> {
    await this.connection.start();
    const body = { clientInfo: this.clientInfo, ...params };
    const raw = (await this.connection.request('initialize', body, { timeoutMs: opts.timeoutMs })) as Record<string, unknown>;
    this.connection.notify('initialized');
    this.done = true;
    return initializeResult(raw);
  }
}

function initializeResult(raw: Record<string, unknown> | null | undefined): InitializeResult {
  const { userAgent, codexHome, platformFamily, platformOs } = raw ?? {};
  return {
    protocolVersion: typeof raw?.protocolVersion === 'string' ? raw.protocolVersion : null,
    serverInfo:
      (raw?.serverInfo as Record<string, unknown>) ??
      (userAgent !== undefined ? { userAgent, codexHome, platformFamily, platformOs } : null),
    capabilities: (raw?.capabilities as Record<string, unknown>) ?? null,
    raw: raw ?? {},
  };
}
