/**
 * One consumed turn per thread at a time. The server joins a second `turn/start` on a thread
 * whose turn runs into that turn (same turn id): two callers would share one turn, and one of them
 * would wait forever. So a chat on a thread waits here while an earlier chat of this client on that
 * thread is still being consumed, and starts its turn when that one lets go (its consumer completes,
 * errors, times out or unsubscribes). Free threads cost no promise.
 */
export class ThreadQueue {
  /** Threads held, with the chats waiting behind the holder. */
  private readonly held = new Map<string, Array<() => void>>();

  /** Threads held now (for leak checks). */
  get size(): number {
    return this.held.size;
  }

  /** The thread's slot: its release at once when the thread is free, else once the chats ahead let go. */
  enter(threadId: string): (() => void) | Promise<() => void> {
    const waiting = this.held.get(threadId);
    if (!waiting) {
      this.held.set(threadId, []);
      return this.releaser(threadId);
    }
    return new Promise((resolve) => waiting.push(() => resolve(this.releaser(threadId))));
  }

  /** Lets everyone go (the connection ended): waiting chats proceed and fail on the closed connection. */
  clear(): void {
    const all = [...this.held.values()];
    this.held.clear();
    for (const waiting of all) for (const go of waiting) go();
  }

  private releaser(threadId: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiting = this.held.get(threadId);
      if (!waiting) return;
      const next = waiting.shift();
      if (next) next();
      else this.held.delete(threadId);
    };
  }
}
