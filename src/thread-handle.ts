import type { Observable } from 'rxjs';
import type { ChatResult, ConversationStep, ThreadConfig, TurnEvent } from './models';
import type {
  ChatOptions,
  ReadThreadOptions,
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
 * What a `ThreadHandle` needs from the client: turns bound to one thread and the thread methods.
 * A narrow view, so the handle depends on no client class (and the client on no handle internals).
 */
export interface ThreadHost {
  /** A turn on `threadId`; a continuation must belong to that thread. */
  chat(threadId: string, text: ChatInput | undefined, options: ChatOptions): Observable<ConversationStep>;
  /** `chatEvents` on `threadId` (see `CodexClient.chatEvents`). */
  chatEvents(threadId: string, text: ChatInput | undefined, options: ChatOptions): Observable<TurnEvent>;
  /** `chatOnce` on `threadId` (see `CodexClient.chatOnce`). */
  chatOnce(threadId: string, text: ChatInput | undefined, options: ChatOptions): Promise<ChatResult>;
  /** Backs `ThreadHandle.read` (see `CodexClient.readThread`). */
  readThread(threadId: string, opts: ReadThreadOptions): Promise<ResultOf<'thread/read'>>;
  /** Backs `ThreadHandle.fork` (see `CodexClient.forkThread`). */
  forkThread(threadId: string, opts: ThreadOpenOptions): Promise<ThreadHandle>;
  /** Backs `ThreadHandle.archive` (see `CodexClient.archiveThread`). */
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>>;
  /** Backs `ThreadHandle.unarchive` (see `CodexClient.unarchiveThread`). */
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>>;
  /** Backs `ThreadHandle.setName` (see `CodexClient.setThreadName`). */
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>>;
  /** Backs `ThreadHandle.compact` (see `CodexClient.compactThread`). */
  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>>;
  /** Backs `ThreadHandle.rollback` (see `CodexClient.rollbackThread`). */
  rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>>;
  /** Backs `ThreadHandle.startReview` (see `CodexClient.startReview`). */
  startReview(args: { threadId: string; target: object } & ThreadReviewOptions): Promise<ResultOf<'review/start'>>;
  /** Backs `ThreadHandle.updateDefaults` (see `CodexClient.setThreadDefaults`). */
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>>;
  /** The live view of a thread (see `CodexClient.threadView$`). */
  threadView$(threadId: string): Observable<ThreadView>;
}

/** One thread's API, bound to its id. */
export class ThreadHandle {
  private snapshot: Readonly<ThreadConfig>;

  /**
   * Made by the client (`startThread`, `resumeThread`, `forkThread`); built by hand only
   * over a `ThreadHost` of one's own, e.g. in tests.
   * @param defaults The thread settings the thread was opened with, as `defaults` reports them.
   */
  constructor(
    private readonly host: ThreadHost,
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
    return this.host.threadView$(this.threadId);
  }

  /** The thread settings this handle last applied. */
  get defaults(): Readonly<ThreadConfig> {
    return this.snapshot;
  }

  private opts(options: ThreadChatOptions): ChatOptions {
    // With a continuation the thread comes from the token; it must be this handle's thread.
    return options.continuation ? { ...options } : { ...options, threadId: this.threadId };
  }

  /** The completed steps of one turn on this thread, as they complete (see `CodexClient.chat`). Cold. */
  chat(text?: ChatInput, options: ThreadChatOptions = {}): Observable<ConversationStep> {
    return this.host.chat(this.threadId, text, this.opts(options));
  }

  /** One turn on this thread as events for live UIs (see `CodexClient.chatEvents`). Cold. */
  chatEvents(text?: ChatInput, options: ThreadChatOptions = {}): Observable<TurnEvent> {
    return this.host.chatEvents(this.threadId, text, this.opts(options));
  }

  /** One turn on this thread, resolved with its result (see `CodexClient.chatOnce`). */
  chatOnce(text?: ChatInput, options: ThreadChatOptions = {}): Promise<ChatResult> {
    return this.host.chatOnce(this.threadId, text, this.opts(options));
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
    return this.host.readThread(this.threadId, opts);
  }

  /** Copies this thread's history into a new thread and returns the new thread's handle (`thread/fork`). */
  fork(opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    return this.host.forkThread(this.threadId, opts);
  }

  /** Archives the thread: `listThreads` leaves it out unless asked for archived threads. */
  archive() {
    return this.host.archiveThread(this.threadId);
  }

  /** Brings an archived thread back into `listThreads`. */
  unarchive() {
    return this.host.unarchiveThread(this.threadId);
  }

  /** Sets the thread's display name (`thread/name/set`). */
  setName(name: string) {
    return this.host.setThreadName(this.threadId, name);
  }

  /** Starts compacting the thread's history into a summary, to free the model's context window (`thread/compact/start`). */
  compact() {
    return this.host.compactThread(this.threadId);
  }

  /**
   * Drops the thread's last `numTurns` turns (see `CodexClient.rollbackThread`). Rejects with a
   * `TypeError` for a `numTurns` that is not a positive integer, and with `CodexProtocolError` when
   * the thread has fewer turns.
   */
  rollback(numTurns: number) {
    return this.host.rollbackThread(this.threadId, { numTurns });
  }

  /** Starts a code review on this thread (`review/start`); `target` is the protocol's `ReviewTarget` (e.g. `{ type: 'uncommittedChanges' }`). */
  startReview(target: object, opts: ThreadReviewOptions = {}) {
    return this.host.startReview({ threadId: this.threadId, target, ...opts });
  }

  /** Applies settings to the thread (thread/resume) and merges them into `defaults`. */
  async updateDefaults(overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>> {
    const result = await this.host.setThreadDefaults(this.threadId, overrides);
    this.snapshot = Object.freeze({ ...this.snapshot, ...overrides });
    return result;
  }
}
