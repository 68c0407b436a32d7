import type { Observable } from 'rxjs';
import type { CodexClient } from './client';
import type { ChatOptions } from './engine/turns';
import type { ChatResult, ConversationStep, ThreadConfig, TurnEvent } from './models';

/** Options of a chat on a handle: those of `ChatOptions` that do not pick the thread. */
export type ThreadChatOptions = Omit<ChatOptions, 'threadId' | 'threadConfig'>;

/** One thread's API, bound to its id. */
export class ThreadHandle {
  private snapshot: Readonly<ThreadConfig>;

  constructor(
    private readonly client: CodexClient,
    readonly threadId: string,
    defaults: ThreadConfig = {},
  ) {
    this.snapshot = Object.freeze({ ...defaults });
  }

  /** The thread settings this handle last applied. */
  get defaults(): Readonly<ThreadConfig> {
    return this.snapshot;
  }

  private opts(options: ThreadChatOptions): ChatOptions {
    // With a continuation the thread comes from the token; it must be this handle's thread.
    return options.continuation ? { ...options } : { ...options, threadId: this.threadId };
  }

  chat(text?: string, options: ThreadChatOptions = {}): Observable<ConversationStep> {
    return this.client.chatOn(this.threadId, text, this.opts(options));
  }

  chatEvents(text?: string, options: ThreadChatOptions = {}): Observable<TurnEvent> {
    return this.client.chatEventsOn(this.threadId, text, this.opts(options));
  }

  chatOnce(text?: string, options: ThreadChatOptions = {}): Promise<ChatResult> {
    return this.client.chatOnceOn(this.threadId, text, this.opts(options));
  }

  read(opts: { includeTurns?: boolean } = {}) {
    return this.client.readThread(this.threadId, opts);
  }

  fork(opts: { overrides?: ThreadConfig } = {}): Promise<ThreadHandle> {
    return this.client.forkThread(this.threadId, opts);
  }

  archive() {
    return this.client.archiveThread(this.threadId);
  }

  unarchive() {
    return this.client.unarchiveThread(this.threadId);
  }

  setName(name: string) {
    return this.client.setThreadName(this.threadId, name);
  }

  compact() {
    return this.client.compactThread(this.threadId);
  }

  rollback(numTurns: number) {
    return this.client.rollbackThread(this.threadId, { numTurns });
  }

  startReview(target: object, opts: { delivery?: 'inline' | 'detached' } = {}) {
    return this.client.startReview({ threadId: this.threadId, target, ...opts });
  }

  /** Applies settings to the thread (thread/resume) and merges them into `defaults`. */
  async updateDefaults(overrides: ThreadConfig): Promise<unknown> {
    const result = await this.client.setThreadDefaults(this.threadId, overrides);
    this.snapshot = Object.freeze({ ...this.snapshot, ...overrides });
    return result;
  }
}
