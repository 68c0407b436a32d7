import type { Subscription } from 'rxjs';
import type { CodexClient } from '../client';
import type { ConnectionState } from '../engine/link-recovery';
import { CodexPoolError } from './pool-error';

/** One member of a `CodexPool`, as `new CodexPool({ members })` takes it: a client, or a factory of one, with an optional id. */
export interface PoolMemberInit {
  /** The member's id in errors, `health$` and `place`. Default `member-<index>`. */
  id?: string;
  /** The member's client (unstarted or started), or a function that makes it (called once, by the pool's constructor). */
  client: CodexClient | (() => CodexClient);
}

/** What `PoolOptions.members` takes per member: a client, a factory of one, or either with an id. */
export type PoolMemberSource = CodexClient | (() => CodexClient) | PoolMemberInit;

/** A member of a `CodexPool`, as placement (`PoolOptions.place`) and `pool.members` see it. */
export interface PoolMember {
  /** The member's id (`PoolMemberInit.id`, or `member-<index>`). */
  readonly id: string;
  /** The member's own client: for what the pool does not route (its `framesOut$`, `stats`, a config write on this server). */
  readonly client: CodexClient;
  /** The member's link, as its `connectionState$` last said. */
  readonly state: ConnectionState;
  /** Threads the pool routes to this member (opened here, or found here). */
  readonly threads: number;
}

/** The pool's record of a member: its state, threads and new threads being placed on it. */
export class Member implements PoolMember {
  state: ConnectionState = 'connecting';
  threads = 0;
  /** New threads placed here whose id is not known yet (a chat without `threadId` still starting). */
  opening = 0;
  private readonly watch: Subscription;

  constructor(
    readonly id: string,
    readonly client: CodexClient,
    readonly index: number,
  ) {
    this.watch = client.connectionState$.subscribe((s) => (this.state = s));
  }

  /** Turns running on its link, plus new threads on their way here. */
  get load(): number {
    return this.client.stats.turns + this.opening;
  }

  /** Up, or on its way up: takes new threads. */
  get live(): boolean {
    return this.state === 'connected' || this.state === 'connecting';
  }

  /** Stops watching the member's state. */
  dispose(): void {
    this.watch.unsubscribe();
  }
}

/** The members from `PoolOptions.members`, with ids checked unique. */
export function makeMembers(sources: readonly PoolMemberSource[]): Member[] {
  if (sources.length === 0) throw new TypeError('a CodexPool needs at least one member');
  const members = sources.map((source, i) => {
    const init: PoolMemberInit = typeof source === 'function' || !('client' in source) ? { client: source } : source;
    const client = typeof init.client === 'function' ? init.client() : init.client;
    return new Member(init.id ?? `member-${i}`, client, i);
  });
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) throw new TypeError(`pool member ids must be unique: ${members.map((m) => m.id).join(', ')}`);
  return members;
}

/** Members that take new threads: the live ones; when none is, those reconnecting (their next use restarts them). */
export function candidates(members: readonly Member[]): Member[] {
  const live = members.filter((m) => m.live);
  if (live.length > 0) return live;
  const waking = members.filter((m) => m.state === 'reconnecting');
  if (waking.length > 0) return waking;
  throw new CodexPoolError('no pool member can take a thread: every member is closed', { code: 'closed', memberId: null });
}

/** The least busy member: fewest running turns, then fewest threads, then the first listed. */
export function leastBusy(members: readonly Member[]): Member {
  let best = members[0]!;
  for (const m of members.slice(1)) {
    const d = m.load - best.load || m.threads + m.opening - (best.threads + best.opening);
    if (d < 0) best = m;
  }
  return best;
}

/**
 * The member a key picks: rendezvous hashing (the highest hash of key and member id), so a key
 * keeps its member while that member is up, and only the keys of a member that goes down move.
 */
export function byKey(key: string, members: readonly Member[]): Member {
  let best = members[0]!;
  let top = -1;
  for (const m of members) {
    const h = fnv1a(`${key}\u0000${m.id}`);
    if (h > top) [best, top] = [m, h];
  }
  return best;
}

/** 32-bit FNV-1a of a string's UTF-16 code units: stable across processes and runs. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
