import { DEFAULTS } from '../defaults';
import { CodexProtocolError } from '../errors';
import type { ChatOptions } from '../options';
import { ThreadResultCodec } from '../protocol/codecs';
import { threadConfigParams } from '../protocol/params';
import type { ThreadConfig } from '../models';
import { ClientTools } from './client-tools';

/** The methods that open a thread and answer `{thread: {id}}`. */
export type ThreadOpenMethod = 'thread/start' | 'thread/resume' | 'thread/fork';

type Request = (method: string, params?: unknown) => Promise<unknown>;

/**
 * The threads this connection has opened (started, resumed or forked): a turn on a known thread
 * needs no `thread/resume` round trip first. At most `capacity` are remembered, the least
 * recently used forgotten first (a forgotten thread costs one `thread/resume` when used again).
 */
export class ThreadRegistry {
  /** Insertion order is recency: a use moves the thread to the end. */
  private readonly known = new Set<string>();

  constructor(
    private readonly request: Request,
    /** The tools of the threads started with `tools` (a client without them: one that refuses them). */
    private readonly tools: ClientTools = new ClientTools(false),
    private readonly capacity: number = DEFAULTS.maxKnownThreads,
  ) {}

  get size(): number {
    return this.known.size;
  }

  has(threadId: string): boolean {
    return this.known.has(threadId);
  }

  /**
   * Sends `method` and remembers the thread it answers with; resolves with its id. A new thread
   * gets `tools` (`TypeError` before anything is sent when they cannot be: see `checkTools`).
   */
  async open(method: ThreadOpenMethod, params: Record<string, unknown>, tools?: ThreadConfig['tools']): Promise<string> {
    this.checkTools(method, tools);
    // `dynamicTools` is experimental: absent from the generated (stable) ThreadStartParams.
    const sent: Record<string, unknown> & { dynamicTools?: unknown } = tools?.length
      ? { ...params, dynamicTools: this.tools.specs(tools) }
      : params;
    const result = await this.request(method, sent);
    if (!ThreadResultCodec.is(result)) throw new CodexProtocolError(`${method} answered without a thread id`, { data: result });
    if (tools?.length) this.tools.add(result.thread.id, tools);
    this.remember(result.thread.id);
    return result.thread.id;
  }

  /** `TypeError` for tools the protocol cannot take: on a client without `experimentalApi`, or on a thread that is not new. */
  checkTools(method: ThreadOpenMethod, tools: ThreadConfig['tools']): void {
    if (!tools?.length) return;
    if (method !== 'thread/start') throw new TypeError(`tools are given to a new thread only (thread/start), not on ${method}`);
    this.tools.specs(tools);
  }

  /** The thread a new turn runs on: a known thread as is (no round trip), else started or resumed. */
  threadFor(options: ChatOptions): string | Promise<string> {
    const { threadId, threadConfig } = options;
    if (threadId === undefined) return this.open('thread/start', threadConfigParams(threadConfig), threadConfig?.tools);
    if (threadConfig === undefined && this.known.has(threadId)) {
      this.remember(threadId);
      return threadId;
    }
    return this.open('thread/resume', { threadId, ...threadConfigParams(threadConfig) }, threadConfig?.tools);
  }

  /**
   * Remembers the thread a raw `thread/start`, `thread/resume` or `thread/fork` request opened: it
   * is loaded on this connection, so a chat on it needs no `thread/resume` (which a thread without
   * a turn yet could not take: "no rollout found").
   */
  learn(method: string, result: unknown): void {
    if ((method === 'thread/start' || method === 'thread/resume' || method === 'thread/fork') && ThreadResultCodec.is(result)) {
      this.remember(result.thread.id);
    }
  }

  /** Remembers a thread opened elsewhere (resumed after a reconnect, say). */
  add(threadId: string): void {
    this.remember(threadId);
  }

  private remember(threadId: string): void {
    this.known.delete(threadId);
    this.known.add(threadId);
    if (this.known.size > this.capacity) this.known.delete(this.known.values().next().value as string);
  }

  /** Forgets every thread (the connection that opened them ended). */
  clear(): void {
    this.known.clear();
  }
}
