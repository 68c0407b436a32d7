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
  chatEvents(threadId: string, text: ChatInput | undefined, options: ChatOptions): Observable<TurnEvent>;
  chatOnce(threadId: string, text: ChatInput | undefined, options: ChatOptions): Promise<ChatResult>;
  readThread(threadId: string, opts: ReadThreadOptions): Promise<ResultOf<'thread/read'>>;
  forkThread(threadId: string, opts: ThreadOpenOptions): Promise<ThreadHandle>;
  archiveThread(threadId: string): Promise<ResultOf<'thread/archive'>>;
  unarchiveThread(threadId: string): Promise<ResultOf<'thread/unarchive'>>;
  setThreadName(threadId: string, name: string): Promise<ResultOf<'thread/name/set'>>;
  compactThread(threadId: string): Promise<ResultOf<'thread/compact/start'>>;
  rollbackThread(threadId: string, opts: { numTurns: number }): Promise<ResultOf<'thread/revert'>>;
  startReview(args: { threadId: string; target: object } & ThreadReviewOptions): Promise<ResultOf<'review/start'>>;
  setThreadDefaults(threadId: string, overrides: ThreadConfig): Promise<ResultOf<'thread/resume'>>;
  /** The live view of a thread (see `CodexClient.threadView$`). */
  threadView$(threadId: string): Observable<ThreadView>;
}

/** One thread's API, bound to its id. */
export class ThreadHandle {
  private snapshot: Readonly<ThreadConfig>;

  constructor(
    private readonly host: ThreadHost,
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

  chat(text?: ChatInput, options: ThreadChatOptions = {}): Observable<ConversationStep> {
    return this.host.chat(this.threadId, text, this.opts(options));
  }

  chatEvents(text?: ChatInput, options: ThreadChatOptions = {}): Observable<TurnEvent> {
    return this.host.chatEvents(this.threadId, text, this.opts(options));
  }

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

  read(opts: ReadThreadOptions = {}) {
    return this.host.readThread(this.threadId, opts);
  }

  fork(opts: ThreadOpenOptions = {}): Promise<ThreadHandle> {
    return this.host.forkThread(this.threadId, opts);
  }

  archive() {
    return this.host.archiveThread(this.threadId);
  }

  unarchive() {
    return this.host.unarchiveThread(this.threadId);
  }

  setName(name: string) {
    return this.host.setThreadName(this.threadId, name);
  }

  compact() {
    return this.host.compactThread(this.threadId);
  }

  rollback(numTurns: number) {
    return this.host.rollbackThread(this.threadId, { numTurns });
  }

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
