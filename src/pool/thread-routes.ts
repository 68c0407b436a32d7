import { CodexPoolError, poolFailure } from './pool-error';
import type { Member } from './members';

/**
 * Which member each thread lives on (affinity): learned from the threads the pool opens, the
 * chats that start one, and the listings; bounded, least recently used forgotten. A thread it does
 * not know is looked for once (`thread/read` on every member that is not closed), so an id saved
 * by an earlier process, or forgotten here, still routes to the server that stores it.
 */
export class ThreadRoutes {
  private readonly owners = new Map<string, Member>();
  private readonly finding = new Map<string, Promise<Member>>();

  constructor(
    private readonly members: readonly Member[],
    private readonly max: number,
  ) {}

  /** Routes `threadId` to `member` from now on (a thread the pool opened there). */
  learn(threadId: string, member: Member): void {
    const prev = this.owners.get(threadId);
    if (prev) {
      this.owners.delete(threadId);
      prev.threads--;
    }
    this.owners.set(threadId, member);
    member.threads++;
    for (const [id, m] of this.owners) {
      if (this.owners.size <= this.max) break;
      this.owners.delete(id);
      m.threads--;
    }
  }

  /** Routes `threadId` to `member` unless it already routes elsewhere (a listing: with a shared home, every member lists every thread). */
  learnIfNew(threadId: string, member: Member): void {
    if (!this.owners.has(threadId)) this.learn(threadId, member);
  }

  /** The member of a thread the pool knows (marked recently used), or undefined. */
  known(threadId: string): Member | undefined {
    const m = this.owners.get(threadId);
    if (m) {
      this.owners.delete(threadId);
      this.owners.set(threadId, m);
    }
    return m;
  }

  /** The member of a thread: known, or found by asking the members (once for concurrent callers). */
  owner(threadId: string): Promise<Member> {
    const m = this.known(threadId);
    if (m) return Promise.resolve(m);
    let found = this.finding.get(threadId);
    if (!found) {
      found = this.find(threadId).finally(() => this.finding.delete(threadId));
      this.finding.set(threadId, found);
    }
    return found;
  }

  /** How many thread ids route now. */
  get size(): number {
    return this.owners.size;
  }

  /**
   * Asks every member that is not closed for the thread; the first listed that has it owns it. None
   * has it: the first asked member's own answer (the error one client would have given).
   */
  private async find(threadId: string): Promise<Member> {
    const asked = this.members.filter((m) => m.state !== 'closed');
    if (asked.length === 0) {
      throw new CodexPoolError(`no pool member is up to find thread ${threadId}`, { code: 'closed', memberId: null });
    }
    const answers = await Promise.allSettled(asked.map((m) => m.client.readThread(threadId, { includeTurns: false })));
    const at = answers.findIndex((a) => a.status === 'fulfilled');
    if (at < 0) throw poolFailure((answers[0] as PromiseRejectedResult).reason, asked[0]!.id);
    const member = asked[at]!;
    // Found meanwhile (a listing, a chat): that wins.
    return this.known(threadId) ?? (this.learn(threadId, member), member);
  }
}
