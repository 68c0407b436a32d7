import { CodexProtocolError } from './errors';
import type { ThreadConfig } from './models';
import type {
  BatchWriteConfigOptions,
  ExecCommandOptions,
  ListModelsOptions,
  ListThreadsOptions,
  ReadConfigOptions,
  ReadThreadOptions,
  RequestOptions,
  StartReviewArgs,
  ThreadOpenOptions,
  WriteConfigValueArgs,
} from './options';
import { compact, threadConfigParams } from './protocol/params';
import type { ClientRequestMethod, ParamsOf, ResultOf } from './protocol/methods';
import type { ThreadHandle } from './thread-handle';

type P<M extends ClientRequestMethod> = ParamsOf<M>;

/**
 * The thread, model, config and command methods of the client: each one request with its params
 * mapped from the Python SDK's shape (camelCase here). Kept apart from the turn engine in client.ts.
 */
export abstract class ThreadMethods {
  abstract request<M extends ClientRequestMethod>(method: M, params?: ParamsOf<M>, opts?: RequestOptions): Promise<ResultOf<M>>;
  /** Sends a request that opens a thread (remembered as known) and resolves with the thread's id. */
  protected abstract openThread(
    method: 'thread/start' | 'thread/resume' | 'thread/fork',
    params: Record<string, unknown>,
    tools?: ThreadConfig['tools'],
  ): Promise<string>;
  protected abstract handle(threadId: string, defaults?: ThreadConfig): ThreadHandle;

  /** Starts a thread and returns its handle. */
  async startThread(config: ThreadConfig = {}): Promise<ThreadHandle> {
    return this.handle(await this.openThread('thread/start', threadConfigParams(config), config.tools), config);
  }

  /** Loads an existing thread (optionally with new settings) and returns its handle. */
  async resumeThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const id = await this.openThread('thread/resume', { threadId, ...threadConfigParams(opts.overrides) }, opts.overrides?.tools);
    return this.handle(id, opts.overrides ?? {});
  }

  /** Forks a thread and returns the new thread's handle. */
  async forkThread(threadId: string, opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    const { personality: _p, ...forkable } = threadConfigParams(opts.overrides);
    return this.handle(await this.openThread('thread/fork', { threadId, ...forkable }, opts.overrides?.tools), opts.overrides ?? {});
  }

  /** The stored thread (`thread/read`), with its turns unless `includeTurns: false`. */
  readThread(threadId: string, opts: ReadThreadOptions = {}): Promise<ResultOf<'thread/read'>> {
    return this.request('thread/read', { threadId, includeTurns: opts.includeTurns ?? true });
  }

  /** One page of the stored threads (`thread/list`); `nextCursor` in the result fetches the next. */
  listThreads(opts: ListThreadsOptions = {}): Promise<ResultOf<'thread/list'>> {
    return this.request('thread/list', compact({ ...opts }) as P<'thread/list'>);
  }

  /** Archives a thread (`thread/archive`): `listThreads` leaves it out unless asked for archived threads. */
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>> {
    return this.request('thread/archive', { threadId });
  }

  /** Brings an archived thread back into `listThreads` (`thread/unarchive`). */
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>> {
    return this.request('thread/unarchive', { threadId });
  }

  /** Sets a thread's display name (`thread/name/set`). */
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>> {
    return this.request('thread/name/set', { threadId, name });
  }

  /** Starts compacting a thread's history into a summary, to free the model's context window (`thread/compact/start`). */
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

  /** Starts a code review (`review/start`) of the `target` (the protocol's `ReviewTarget`, e.g. `{ type: 'uncommittedChanges' }`). */
  startReview(args: StartReviewArgs): Promise<ResultOf<'review/start'>> {
    return this.request('review/start', compact({ ...args }) as P<'review/start'>);
  }

  /** One page of the models the server offers (`model/list`); `nextCursor` in the result fetches the next. */
  listModels(opts: ListModelsOptions = {}): Promise<ResultOf<'model/list'>> {
    return this.request('model/list', compact({ ...opts }));
  }

  /** The server's effective config (`config/read`), with each layer it comes from when `includeLayers`. */
  readConfig(opts: ReadConfigOptions = {}): Promise<ResultOf<'config/read'>> {
    return this.request('config/read', { includeLayers: opts.includeLayers ?? false, ...compact({ cwd: opts.cwd }) });
  }

  /** What managed policy (`requirements.toml`, MDM) requires of the config (`configRequirements/read`), e.g. the allowed approval policies. */
  readConfigRequirements(): Promise<ResultOf<'configRequirements/read'>> {
    return this.request('configRequirements/read');
  }

  /** Writes one config key to the user's `config.toml` or `filePath` (`config/value/write`); merges (`upsert`) by default. */
  writeConfigValue(args: WriteConfigValueArgs): Promise<ResultOf<'config/value/write'>> {
    return this.request('config/value/write', compact({ mergeStrategy: 'upsert', ...args }) as P<'config/value/write'>);
  }

  /** Applies several config edits (the protocol's `ConfigEdit`s) in one write (`config/batchWrite`). */
  batchWriteConfig(edits: object[], opts: BatchWriteConfigOptions = {}): Promise<ResultOf<'config/batchWrite'>> {
    return this.request('config/batchWrite', compact({ edits, ...opts }) as P<'config/batchWrite'>);
  }

  /**
   * Runs a command (an argv, no shell) in the server's sandbox, outside any thread or turn
   * (`command/exec`); resolves when it exits, with its exit code and output.
   */
  execCommand(command: string[], opts: ExecCommandOptions = {}): Promise<ResultOf<'command/exec'>> {
    return this.request('command/exec', compact({ command, ...opts }) as P<'command/exec'>);
  }
}
