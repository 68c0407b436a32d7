import { abortable } from '../abort';
import type { InitializeResult } from '../models';
import type { InitializeOptions, RequestOptions } from '../options';
import { PROTOCOL_SERVER_VERSION } from '../protocol/methods';
import { parseServerVersion, versionMismatchMessage } from '../protocol/server-version';
import { explainUnknownMethod } from '../protocol/unknown-method';
import type { JsonRpcConnection } from '../streams/connection';

/**
 * The `initialize` handshake of one connection: run once (later calls get the cached result), then
 * the `initialized` notification. Requests made before it wait for it.
 */
export class Handshake {
  private promise: Promise<InitializeResult> | null = null;
  private done = false;
  private version: string | null = null;
  /** Versions already reported as differing from the pinned protocol's (one diagnostic each). */
  private readonly reportedVersions = new Set<string>();

  constructor(
    private readonly connection: JsonRpcConnection,
    private readonly clientInfo: { name: string; version: string; title?: string },
  ) {}

  /** The server's version once the handshake answered (null: not yet, or not parsable). */
  get serverVersion(): string | null {
    return this.version;
  }

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

  /**
   * A request sent after the handshake (which it runs first when needed). A method the server
   * lacks fails with a `CodexProtocolError` that says so; an abort (`opts.signal`), with
   * `CodexAbortError`, also while the handshake is still running.
   */
  request(method: string, params?: unknown, opts?: RequestOptions): Promise<unknown> {
    const sent =
      this.done || method === 'initialize'
        ? this.connection.request(method, params, opts)
        : // Aborting while the handshake runs rejects at once (the handshake goes on for later requests).
          abortable(this.initialize(), opts?.signal, method).then(() => this.connection.request(method, params, opts));
    return sent.catch((err: unknown) => {
      throw this.explain(err, method);
    });
  }

  /** `err`, or the clearer error of a method the server lacks. */
  explain(err: unknown, method: string): unknown {
    return explainUnknownMethod(err, method, this.serverVersion);
  }

  private async run(params: Record<string, unknown>, opts: InitializeOptions): Promise<InitializeResult> {
    await this.connection.start();
    const body = { clientInfo: this.clientInfo, ...params };
    const raw = (await this.connection.request('initialize', body, { timeoutMs: opts.timeoutMs })) as Record<string, unknown>;
    this.connection.notify('initialized');
    this.done = true;
    const result = initializeResult(raw);
    this.version = result.serverVersion;
    this.checkVersion(result.serverVersion);
    return result;
  }

  /** One `version-mismatch` diagnostic for a server whose version is not the pinned protocol's. */
  private checkVersion(serverVersion: string | null): void {
    const message = versionMismatchMessage(serverVersion);
    if (message === null || this.reportedVersions.has(serverVersion!)) return;
    this.reportedVersions.add(serverVersion!);
    this.connection.report({ kind: 'version-mismatch', message, detail: { serverVersion, protocolVersion: PROTOCOL_SERVER_VERSION } });
  }
}

function initializeResult(raw: Record<string, unknown> | null | undefined): InitializeResult {
  const { userAgent, codexHome, platformFamily, platformOs } = raw ?? {};
  return {
    protocolVersion: typeof raw?.protocolVersion === 'string' ? raw.protocolVersion : null,
    serverVersion: parseServerVersion(userAgent),
    serverInfo:
      (raw?.serverInfo as Record<string, unknown>) ??
      (userAgent !== undefined ? { userAgent, codexHome, platformFamily, platformOs } : null),
    capabilities: (raw?.capabilities as Record<string, unknown>) ?? null,
    raw: raw ?? {},
  };
}
