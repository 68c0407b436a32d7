import { CodexProtocolError } from './errors';
import type { ThreadConfig } from './models';
import { compact, threadConfigParams } from './protocol/params';
import type { ClientRequestMethod, ParamsOf, ResultOf } from './protocol/methods';
import type { RequestOptions } from './streams/connection';
import type { ThreadHandle } from './thread-handle';

type P<M extends ClientRequestMethod> = ParamsOf<M>;

/**
 * The thread, model, config and command methods of the client: each one request with its params
 * mapped from the Python SDK's shape (camelCase here). Kept apart from the turn engine in client.ts.
 */
export abstract class ThreadMethods {
  abstract request<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts?: RequestOptions): Promise<ResultOf<M>>;
  protected abstract handle(threadId: string, defaults?: ThreadConfig): ThreadHandle;
  protected abstract threadIdFrom(result: unknown, method: string): string;

  /** Starts a thread and returns its handle. */
  async startThread(config: ThreadConfig = {}): Promise<ThreadHandle> {
    const result = await this.request('thread/start', threadConfigParams(config) as P<'thread/start'>);
    return this.handle(this.threadIdFrom(result, 'thread/start'), config);
  }

  /** Loads an existing thread (optionally with new settings) and returns its handle. */
  async resumeThread(threadId: string, opts: { overrides?: ThreadConfig } = {}): Promise<ThreadHandle> {
    const params = { threadId, ...threadConfigParams(opts.overrides) } as P<'thread/resume'>;
    const result = await this.request('thread/resume', params);
    return this.handle(this.threadIdFrom(result, 'thread/resume'), opts.overrides ?? {});
  }

  /** Forks a thread and returns the new thread's handle. */
  async forkThread(threadId: string, opts: { overrides?: ThreadConfig } = {}): Promise<ThreadHandle> {
    const { personality: _p, ...forkable } = threadConfigParams(opts.overrides);
    const result = await this.request('thread/fork', { threadId, ...forkable } as P<'thread/fork'>);
    return this.handle(this.threadIdFrom(result, 'thread/fork'), opts.overrides ?? {});
  }

  readThread(threadId: string, opts: { includeTurns?: boolean } = {}): Promise<ResultOf<'thread/read'>> {
    return this.request('thread/read', { threadId, includeTurns: opts.includeTurns ?? true });
  }

  listThreads(
    opts: {
      archived?: boolean | null;
      cursor?: string | null;
      cwd?: string | string[] | null;
      limit?: number | null;
      modelProviders?: string[] | null;
      sortKey?: 'created_at' | 'updated_at';
      sortDirection?: 'asc' | 'desc';
    } = {},
  ): Promise<ResultOf<'thread/list'>> {
    return this.request('thread/list', compact({ ...opts }) as P<'thread/list'>);
  }

  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>> {
    return this.request('thread/archive', { threadId });
  }

  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>> {
    return this.request('thread/unarchive', { threadId });
  }

  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>> {
    return this.request('thread/name/set', { threadId, name });
  }

  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>> {
    return this.request('thread/compact/start', { threadId });
  }

  /**
   * Drops the last `numTurns` turns. This server has no thread/rollback: the turn ids come from
   * thread/turns/list (newest first) and thread/revert drops everything from the oldest of them on.
   */
  async rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>> {
    const n = opts.numTurns;
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`numTurns must be a positive integer, got ${n}`);
    const listed = await this.request('thread/turns/list', { threadId, sortDirection: 'desc', limit: n });
    const turns = listed.data ?? [];
    if (turns.length < n) {
      throw new CodexProtocolError(`thread ${threadId} has ${turns.length} turns; cannot roll back ${n}`, { data: listed });
    }
    return this.request('thread/revert', { threadId, beforeTurnId: turns[n - 1]!.id });
  }

  /** Applies thread-level settings to an existing thread (through thread/resume). */
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>> {
    return this.request('thread/resume', { threadId, ...threadConfigParams(overrides) } as P<'thread/resume'>);
  }

  startReview(args: { threadId: string; target: object; delivery?: 'inline' | 'detached' }): Promise<ResultOf<'review/start'>> {
    return this.request('review/start', compact({ ...args }) as P<'review/start'>);
  }

  listModels(
    opts: { cursor?: string | null; includeHidden?: boolean | null; limit?: number | null } = {},
  ): Promise<ResultOf<'model/list'>> {
    return this.request('model/list', compact({ ...opts }));
  }

  readConfig(opts: { cwd?: string | null; includeLayers?: boolean } = {}): Promise<ResultOf<'config/read'>> {
    return this.request('config/read', { includeLayers: opts.includeLayers ?? false, ...compact({ cwd: opts.cwd }) });
  }

  readConfigRequirements(): Promise<ResultOf<'configRequirements/read'>> {
    return this.request('configRequirements/read');
  }

  writeConfigValue(args: {
    keyPath: string;
    value: unknown;
    mergeStrategy?: 'replace' | 'upsert';
    expectedVersion?: string | null;
    filePath?: string | null;
  }): Promise<ResultOf<'config/value/write'>> {
    return this.request('config/value/write', compact({ mergeStrategy: 'upsert', ...args }) as P<'config/value/write'>);
  }

  batchWriteConfig(
    edits: object[],
    opts: { expectedVersion?: string | null; filePath?: string | null } = {},
  ): Promise<ResultOf<'config/batchWrite'>> {
    return this.request('config/batchWrite', compact({ edits, ...opts }) as P<'config/batchWrite'>);
  }

  execCommand(
    command: string[],
    opts: { cwd?: string | null; sandboxPolicy?: object | null; timeoutMs?: number | null } = {},
  ): Promise<ResultOf<'command/exec'>> {
    return this.request('command/exec', compact({ command, ...opts }) as P<'command/exec'>);
  }
}
