import type { Subscription } from 'rxjs';
import type { InitializeResult } from '../models';
import type { InitializeOptions } from '../options';
import { PROTOCOL_SERVER_VERSION } from '../protocol/methods';
import { parseServerVersion, versionMismatchMessage } from '../protocol/server-version';
import { explainUnknownMethod } from '../protocol/unknown-method';
import type { JsonRpcConnection } from '../streams/connection';
import { addListener } from '../streams/listeners';
import { CALL, type EngineRequests } from './requests';

/**
 * The `initialize` handshake of one connection: run once (later calls get the cached result), then
 * the `initialized` notification. Requests made before it wait for it. After a dropped link the
 * handshake is due again on the new one: the engine runs it (`redo`) before anything else goes out,
 * and whoever asks meanwhile gets that handshake's result.
 */
export class Handshake {
  private promise: Promise<InitializeResult> | null = null;
  private done = false;
  /** The params of the first handshake, for the ones on later links. */
  private params: Record<string, unknown> = {};
  /** While a link is down: the result of the handshake the new link will get. */
  private next: { promise: Promise<InitializeResult>; resolve(r: InitializeResult): void; reject(e: unknown): void } | null = null;
  /** Someone waits for the next link's handshake (so a link made on demand is due). */
  awaited = false;
  /** Run after each successful handshake (`afterInitialized`). */
  private readonly doneListeners: Array<() => void> = [];
  private version: string | null = null;
  /** Versions already reported as differing from the pinned protocol's (one diagnostic each). */
  private readonly reportedVersions = new Set<string>();

  constructor(
    private readonly connection: JsonRpcConnection,
    /** The engine's request path, which this handshake's `initialize` takes too (and which waits for it). */
    private readonly requests: EngineRequests,
    private readonly clientInfo: { name: string; version: string; title?: string },
    /** The capabilities from the client's options; those given to `initialize()` win key by key. */
    private readonly capabilities: Record<string, unknown> | null = null,
  ) {
    // Every request's error answer, the engine's own included: a method the server lacks says so.
    connection.explainErrorsWith((err, method) => explainUnknownMethod(err, method, this.version) as Error);
  }

  /** Registers a callback run after each successful handshake (the first, and each on a new link). */
  afterInitialized(listener: () => void): Subscription {
    return addListener(this.doneListeners, listener);
  }

  /** The server's version once the handshake answered (null: not yet, or not parsable). */
  get serverVersion(): string | null {
    return this.version;
  }

  initialize(params: Record<string, unknown> = {}, opts: InitializeOptions = {}): Promise<InitializeResult> {
    const next = this.next;
    if (next) {
      // A transport that makes links on demand (stdio restart) makes one now.
      this.awaited = true;
      this.connection.ensureLink();
      return next.promise;
    }
    return (this.promise ??= this.run(params, opts, false).catch((err) => {
      this.promise = null;
      throw err;
    }));
  }

  /** The link dropped: the next handshake belongs to the new link (see `redo`). */
  reset(): void {
    this.done = false;
    this.promise = null;
    if (this.next) return;
    let resolve!: (r: InitializeResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<InitializeResult>((res, rej) => ((resolve = res), (reject = rej)));
    // Nobody may be waiting: a failure here is also the relink's, which closes the connection.
    promise.catch(() => undefined);
    this.next = { promise, resolve, reject };
  }

  /**
   * On a new link, before anything else goes out: the handshake again (past the link gate). Until
   * it succeeds whoever waits keeps waiting: for the next link if this one drops too, or until the
   * connection closes (`fail`).
   */
  async redo(): Promise<InitializeResult> {
    const result = await this.run(this.params, {}, true);
    const next = this.next;
    this.next = null;
    this.awaited = false;
    this.promise = Promise.resolve(result);
    next?.resolve(result);
    return result;
  }

  /** The connection ended: whoever waits for the next handshake gets `err`. */
  fail(err: Error): void {
    this.next?.reject(err);
    this.next = null;
  }

  /** Null when the handshake is done (no promise per call on the hot path), else its completion. */
  ready(): Promise<void> | null {
    return this.done ? null : this.initialize().then(() => undefined);
  }

  private async run(params: Record<string, unknown>, opts: InitializeOptions, now: boolean): Promise<InitializeResult> {
    this.params = params;
    await this.connection.start();
    const body: Record<string, unknown> = { clientInfo: this.clientInfo, ...params };
    if (this.capabilities) body.capabilities = { ...this.capabilities, ...(params.capabilities as object | undefined) };
    const raw = (await this.requests.call('initialize', body, { timeoutMs: opts.timeoutMs }, now ? CALL.relink : CALL.engine)) as Record<
      string,
      unknown
    >;
    this.connection.notify('initialized');
    this.done = true;
    const result = initializeResult(raw);
    this.version = result.serverVersion;
    this.checkVersion(result.serverVersion);
    for (const listener of this.doneListeners) listener();
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
