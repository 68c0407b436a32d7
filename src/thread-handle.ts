import { type Observable, throwError } from 'rxjs';
import type { ChatResult, ConversationStep, ThreadConfig, TurnEvent } from './models';
import type {
  ChatOptions,
  ReadThreadOptions,
  StartReviewArgs,
  ThreadChatIterableOptions,
  ThreadChatOptions,
  ThreadOpenOptions,
  ThreadReviewOptions,
} from './options';
import type { ChatInput } from './protocol/input';
import type { ResultOf } from './protocol/methods';
import { eventsIterable, stepsIterable } from './turn-iterables';
import type { ThreadView } from './view/thread-view';

/**
 * What a `ThreadHandle` needs: the client's own turn and thread methods, which it calls with its
 * thread's id. `CodexClient` is one; anything with the same methods (a pool of clients, a test
 * double) can hand out handles too.
 */
export interface ThreadClient {
  /** See `CodexClient.chat`. */
  chat(text: ChatInput | undefined, options: ChatOptions): Observable<ConversationStep>;
  /** See `CodexClient.chatEvents`. */
  chatEvents(text: ChatInput | undefined, options: ChatOptions): Observable<TurnEvent>;
  /** See `CodexClient.chatOnce`. */
  chatOnce(text: ChatInput | undefined, options: ChatOptions): Promise<ChatResult>;
  /** See `CodexClient.readThread`. */
  readThread(threadId: string, opts: ReadThreadOptions): Promise<ResultOf<'thread/read'>>;
  /** See `CodexClient.forkThread`. */
  forkThread(threadId: string, opts: ThreadOpenOptions): Promise<ThreadHandle>;
  /** See `CodexClient.archiveThread`. */
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>>;
  /** See `CodexClient.unarchiveThread`. */
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>>;
  /** See `CodexClient.setThreadName`. */
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>>;
  /** See `CodexClient.compactThread`. */
  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>>;
  /** See `CodexClient.rollbackThread`. */
  rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>>;
  /** See `CodexClient.startReview`. */
  startReview(args: StartReviewArgs): Promise<ResultOf<'review/start'>>;
  /** See `CodexClient.setThreadDefaults`. */
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>>;
  /** See `CodexClient.threadView$`. */
  threadView$(threadId: string): Observable<ThreadView>;
}

/** One thread's API, bound to its id. */
export class ThreadHandle {
  private snapshot: Readonly<ThreadConfig>;

  /**
   * Made by the client (`startThread`, `resumeThread`, `forkThread`); built by hand only
   * over a `ThreadClient` of one's own, e.g. in tests.
   * @param defaults The thread settings the thread was opened with, as `defaults` reports them.
   */
  constructor(
    private readonly client: ThreadClient,
    /** The server's id of the thread every call of this handle acts on. */
    readonly threadId: string,
    defaults: ThreadConfig = {},
  ) {
    this.snapshot = Object.freeze({ ...defaults });
  }

  /**
   * The live view of this thread for UIs (see `CodexClient.threadView$`): cold, seeded from the
   * stored turns, kept by the thread's frames, exact again after a reconnect.
   */
  get view$(): Observable<ThreadView> {
    return this.client.threadView$(this.threadId);
  }

  /** The thread settings this handle last applied. */
  get defaults(): Readonly<ThreadConfig> {
    return this.snapshot;
  }

  /**
   * The call's options on this thread. A continuation carries its thread (the call may name no
   * other): it must be this handle's, else the call fails with a `TypeError`.
   */
  private opts(options: ThreadChatOptions): ChatOptions | TypeError {
    const c = options.continuation;
    if (!c) return { ...options, threadId: this.threadId };
    if (c.threadId === this.threadId) return { ...options };
    return new TypeError(`continuation of thread ${c.threadId} does not belong to thread ${this.threadId}`);
  }

  /** The completed steps of one turn on this thread, as they complete (see `CodexClient.chat`). Cold. */
  chat(text?: ChatInput, options: ThreadChatOptions = {}): Observable<ConversationStep> {
    const o = this.opts(options);
    return o instanceof TypeError ? throwError(() => o) : this.client.chat(text, o);
  }

  /** One turn on this thread as events for live UIs (see `CodexClient.chatEvents`). Cold. */
  chatEvents(text?: ChatInput, options: ThreadChatOptions = {}): Observable<TurnEvent> {
    const o = this.opts(options);
    return o instanceof TypeError ? throwError(() => o) : this.client.chatEvents(text, o);
  }

  /** One turn on this thread, resolved with its result (see `CodexClient.chatOnce`). */
  chatOnce(text?: ChatInput, options: ThreadChatOptions = {}): Promise<ChatResult> {
    const o = this.opts(options);
    return o instanceof TypeError ? Promise.reject(o) : this.client.chatOnce(text, o);
  }

  /** `chat` for `for await` (see `CodexClient.chatIterable`). */
  chatIterable(text?: ChatInput, options: ThreadChatIterableOptions = {}): AsyncIterable<ConversationStep> {
    return stepsIterable((o) => this.chat(text, o), options);
  }

  /** `chatEvents` for `for await` (see `CodexClient.chatEventsIterable`). */
  chatEventsIterable(text?: ChatInput, options: ThreadChatIterableOptions = {}): AsyncIterable<TurnEvent> {
    return eventsIterable((o) => this.chatEvents(text, o), options);
  }

  /** The stored thread, with its turns unless `includeTurns: false` (`thread/read`). */
  read(opts: ReadThreadOptions = {}) {
    return this.client.readThread(this.threadId, opts);
  }

  /** Copies this thread's history into a new thread and returns the new thread's handle (`thread/fork`). */
  fork(opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    return this.client.forkThread(this.threadId, opts);
  }

  /** Archives the thread: `listThreads` leaves it out unless asked for archived threads. */
  archive() {
    return this.client.archiveThread(this.threadId);
  }

  /** Brings an archived thread back into `listThreads`. */
  unarchive() {
    return this.client.unarchiveThread(this.threadId);
  }

  /** Sets the thread's display name (`thread/name/set`). */
  setName(name: string) {
    return this.client.setThreadName(this.threadId, name);
  }

  /** Starts compacting the thread's history into a summary, to free the model's context window (`thread/compact/start`). */
  compact() {
    return this.client.compactThread(this.threadId);
  }

  /**
   * Drops the thread's last `numTurns` turns (see `CodexClient.rollbackThread`). Rejects with a
   * `TypeError` for a `numTurns` that is not a positive integer, and with `CodexProtocolError` when
   * the thread has fewer turns.
   */
  rollback(numTurns: number) {
    return this.client.rollbackThread(this.threadId, { numTurns });
  }

  /** Starts a code review on this thread (`review/start`); `target` is the protocol's `ReviewTarget` (e.g. `{ type: 'uncommittedChanges' }`). */
  startReview(target: object, opts: ThreadReviewOptions = {}) {
    return this.client.startReview({ threadId: this.threadId, target, ...opts });
  }

  /** Applies settings to the thread (thread/resume) and merges them into `defaults`. */
  async updateDefaults(overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>> {
    const result = await this.client.setThreadDefaults(this.threadId, overrides);
    this.snapshot = Object.freeze({ ...this.snapshot, ...overrides });
    return result;
  }
}
