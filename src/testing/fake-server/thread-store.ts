/** The fake server's threads and the turns they ran: what `thread/read`, `thread/list` and `thread/turns/list` answer from. */
import type { AskForApproval } from '../../protocol/generated/v2/AskForApproval';
import type { SandboxMode } from '../../protocol/generated/v2/SandboxMode';
import type { SandboxPolicy } from '../../protocol/generated/v2/SandboxPolicy';
import type { Thread } from '../../protocol/generated/v2/Thread';
import type { ThreadItem } from '../../protocol/generated/v2/ThreadItem';
import type { ThreadListParams } from '../../protocol/generated/v2/ThreadListParams';
import type { ThreadListResponse } from '../../protocol/generated/v2/ThreadListResponse';
import type { ThreadStartResponse } from '../../protocol/generated/v2/ThreadStartResponse';
import type { ThreadTurnsListParams } from '../../protocol/generated/v2/ThreadTurnsListParams';
import type { ThreadTurnsListResponse } from '../../protocol/generated/v2/ThreadTurnsListResponse';
import type { Turn } from '../../protocol/generated/v2/Turn';
import type { TurnError } from '../../protocol/generated/v2/TurnError';
import type { TurnStatus } from '../../protocol/generated/v2/TurnStatus';
import { frameNow } from '../frames/clock';
import { threadObject, turnObject } from '../frames';
import { FakeRpcError } from './types';

/** A turn as the server remembers it. */
export interface StoredTurn {
  readonly id: string;
  status: TurnStatus;
  /** Completed items, in order (a repeated item id replaces the earlier one). */
  items: ThreadItem[];
  error: TurnError | null;
  /** Seconds, like the wire. */
  startedAt: number;
  completedAt: number | null;
}

/** A thread as the server remembers it. */
export interface StoredThread {
  readonly id: string;
  /** Creation order (list order). */
  readonly index: number;
  turns: StoredTurn[];
  /** The running turn, if any: a thread runs one turn at a time. */
  activeTurnId: string | null;
  /** False for a thread added with `addThread()` until a client resumes it (`notLoaded` status). */
  loaded: boolean;
  archived: boolean;
  name: string | null;
  forkedFromId: string | null;
  preview: string;
  cwd: string;
  model: string;
  modelProvider: string;
  ephemeral: boolean;
  approvalPolicy: AskForApproval;
  sandbox: SandboxMode;
}

/** Thread settings a client may give (`thread/start`, `thread/resume`, `thread/fork`), or `addThread()`. */
export type ThreadSettings = Partial<
  Pick<StoredThread, 'cwd' | 'model' | 'modelProvider' | 'ephemeral' | 'approvalPolicy' | 'sandbox' | 'name'>
>;

const seconds = () => Math.floor(frameNow() / 1000);

export class ThreadStore {
  private readonly threads = new Map<string, StoredThread>();
  private count = 0;

  constructor(
    private readonly newId: (n: number) => string,
    /** `cliVersion` of the threads: the server's version. */
    private readonly cliVersion: string,
  ) {}

  /** A new thread (loaded unless `loaded` is false); `id` defaults to the next generated one. */
  create(settings: ThreadSettings = {}, opts: { id?: string; loaded?: boolean; forkedFromId?: string | null } = {}): StoredThread {
    const index = ++this.count;
    const id = opts.id ?? this.newId(index);
    if (this.threads.has(id)) throw new Error(`FakeAppServer: thread ${id} exists already`);
    const thread: StoredThread = {
      id,
      index,
      turns: [],
      activeTurnId: null,
      loaded: opts.loaded ?? true,
      archived: false,
      name: null,
      forkedFromId: opts.forkedFromId ?? null,
      preview: '',
      cwd: '/tmp',
      model: 'mock-model',
      modelProvider: 'mock',
      ephemeral: false,
      approvalPolicy: 'on-request',
      sandbox: 'read-only',
    };
    this.configure(thread, settings);
    this.threads.set(id, thread);
    return thread;
  }

  /** Applies the settings a client sent; absent and null values leave a setting as it is. */
  configure(thread: StoredThread, settings: Record<string, unknown>): void {
    for (const key of ['cwd', 'model', 'modelProvider', 'ephemeral', 'approvalPolicy', 'sandbox', 'name'] as const) {
      const value = settings[key];
      if (value !== undefined && value !== null) (thread as unknown as Record<string, unknown>)[key] = value;
    }
  }

  /** A copy of `source` with its ended turns (through `lastTurnId` when given). */
  fork(source: StoredThread, settings: Record<string, unknown>, lastTurnId?: string | null): StoredThread {
    const { cwd, model, modelProvider, approvalPolicy, sandbox } = source;
    const thread = this.create({ cwd, model, modelProvider, approvalPolicy, sandbox }, { forkedFromId: source.id });
    this.configure(thread, settings);
    const until = lastTurnId ? source.turns.findIndex((t) => t.id === lastTurnId) : source.turns.length - 1;
    if (lastTurnId && until < 0) throw new FakeRpcError(-32600, `turn not found: ${lastTurnId}`);
    thread.turns = source.turns
      .slice(0, until + 1)
      .filter((t) => t.status !== 'inProgress')
      .map((t) => ({ ...t, items: t.items.map((i) => ({ ...i })) }));
    thread.preview = source.preview;
    return thread;
  }

  get(threadId: string): StoredThread | undefined {
    return this.threads.get(threadId);
  }

  /** The thread, or the JSON-RPC error a request about an unknown thread gets. */
  require(threadId: unknown): StoredThread {
    const thread = typeof threadId === 'string' ? this.threads.get(threadId) : undefined;
    if (!thread) throw new FakeRpcError(-32600, `thread not found: ${String(threadId)}`);
    return thread;
  }

  /** A new turn on the thread, running. */
  startTurn(thread: StoredThread, turnId: string, previewText: string): StoredTurn {
    const turn: StoredTurn = { id: turnId, status: 'inProgress', items: [], error: null, startedAt: seconds(), completedAt: null };
    thread.turns.push(turn);
    thread.activeTurnId = turnId;
    if (!thread.preview) thread.preview = previewText;
    return turn;
  }

  /** The wire `Thread`, with its turns and their items when `includeTurns`. */
  toThread(thread: StoredThread, includeTurns: boolean): Thread {
    return threadObject(thread.id, {
      status: !thread.loaded ? { type: 'notLoaded' } : thread.activeTurnId ? { type: 'active', activeFlags: [] } : { type: 'idle' },
      turns: includeTurns ? thread.turns.map((t) => toTurn(t, 'full')) : [],
      name: thread.name,
      forkedFromId: thread.forkedFromId,
      preview: thread.preview,
      ephemeral: thread.ephemeral,
      cwd: thread.cwd,
      model: thread.model,
      modelProvider: thread.modelProvider,
      cliVersion: this.cliVersion,
    });
  }

  /** The answer to `thread/start`, `thread/fork` and (with the resume-only fields) `thread/resume`. */
  sessionResponse(thread: StoredThread, includeTurns: boolean): ThreadStartResponse {
    return {
      thread: this.toThread(thread, includeTurns),
      model: thread.model,
      modelProvider: thread.modelProvider,
      serviceTier: null,
      disabledPluginIds: [],
      cwd: thread.cwd,
      instructionSources: [],
      approvalPolicy: thread.approvalPolicy,
      approvalsReviewer: 'user',
      sandbox: sandboxPolicy(thread.sandbox, thread.cwd),
      reasoningEffort: null,
    };
  }

  /** `thread/list`: newest first by default; `cursor` is an offset. */
  list(params: ThreadListParams & { archived?: boolean | null; cwd?: string | string[] | null }): ThreadListResponse {
    const cwds = params.cwd == null ? null : ([] as string[]).concat(params.cwd);
    const providers = params.modelProviders?.length ? params.modelProviders : null;
    const all = [...this.threads.values()]
      .filter((t) => t.archived === (params.archived ?? false))
      .filter((t) => !cwds || cwds.includes(t.cwd))
      .filter((t) => !providers || providers.includes(t.modelProvider))
      .sort((a, b) => (params.sortDirection === 'asc' ? a.index - b.index : b.index - a.index));
    const { data, nextCursor } = page(all, params.cursor, params.limit);
    return { data: data.map((t) => this.toThread(t, false)), nextCursor, backwardsCursor: null };
  }

  /** `thread/turns/list`: newest first by default; `cursor` is an offset. */
  turnsPage(thread: StoredThread, params: ThreadTurnsListParams): ThreadTurnsListResponse {
    const ordered = params.sortDirection === 'asc' ? [...thread.turns] : [...thread.turns].reverse();
    const { data, nextCursor } = page(ordered, params.cursor, params.limit);
    return { data: data.map((t) => toTurn(t, params.itemsView ?? 'summary')), nextCursor, backwardsCursor: null };
  }

  /** `thread/revert`: drops `beforeTurnId` and every later turn. */
  revert(thread: StoredThread, beforeTurnId: unknown): void {
    const at = thread.turns.findIndex((t) => t.id === beforeTurnId);
    if (at < 0) throw new FakeRpcError(-32600, `turn not found: ${String(beforeTurnId)}`);
    if (thread.activeTurnId) throw new FakeRpcError(-32600, `thread ${thread.id} has a running turn`);
    thread.turns = thread.turns.slice(0, at);
  }
}

/** A stored turn on the wire; `summary` keeps the user's messages and the last agent message. */
function toTurn(t: StoredTurn, view: 'notLoaded' | 'summary' | 'full'): Turn {
  const lastAnswer = [...t.items].reverse().find((i) => i.type === 'agentMessage');
  const items = view === 'full' ? t.items : view === 'summary' ? t.items.filter((i) => i.type === 'userMessage' || i === lastAnswer) : [];
  return turnObject(t.id, {
    status: t.status,
    items: items.map((i) => ({ ...i })),
    itemsView: view,
    error: t.error,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    durationMs: t.completedAt === null ? null : (t.completedAt - t.startedAt) * 1000,
  });
}

function page<T>(all: T[], cursor: string | null | undefined, limit: number | null | undefined): { data: T[]; nextCursor: string | null } {
  const from = cursor ? Number(cursor) || 0 : 0;
  const to = limit ? from + limit : all.length;
  return { data: all.slice(from, to), nextCursor: to < all.length ? String(to) : null };
}

function sandboxPolicy(mode: SandboxMode, cwd: string): SandboxPolicy {
  if (mode === 'danger-full-access') return { type: 'dangerFullAccess' };
  if (mode === 'workspace-write') {
    return { type: 'workspaceWrite', writableRoots: [cwd], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false };
  }
  return { type: 'readOnly', networkAccess: false };
}
