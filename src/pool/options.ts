import type { ChatIterableOptions, ChatOptions } from '../options';
import type { PoolMember, PoolMemberSource } from './members';

/** Options of a `CodexPool`. */
export interface PoolOptions {
  /** The app-servers behind the pool: clients (unstarted or started) or factories of them, optionally with ids. */
  members: readonly PoolMemberSource[];
  /**
   * Picks the member of a new thread that has a placement `key`, from the members that take new
   * threads (those up, else those reconnecting); returns its id. Default: rendezvous hashing of the
   * key over those members' ids (stable while they stay up).
   */
  place?: (key: string, members: readonly PoolMember[]) => string;
  /** Thread ids whose member the pool remembers; the least recently used are forgotten and found again by asking the members. Default 100,000 (`DEFAULTS.poolRoutedThreads`). */
  maxRoutedThreads?: number;
}

/** Where a new thread goes: without a `key`, to the least busy member. */
export interface PlacementOptions {
  /** Places the new thread by this key (a tenant, a user, a repository): `PoolOptions.place`, or a stable hash. */
  key?: string;
}

/** `ChatOptions` of a pool: a chat that starts a thread may say where (`key`). */
export type PoolChatOptions = ChatOptions & PlacementOptions;

/** `ChatIterableOptions` of a pool, with the placement `key`. */
export type PoolChatIterableOptions = ChatIterableOptions & PlacementOptions;
