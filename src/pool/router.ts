import { catchError, defer, finalize, mergeMap, Observable, tap, throwError } from 'rxjs';
import type { CodexClient } from '../client';
import type { ChatOptions } from '../options';
import { byKey, candidates, leastBusy, type Member } from './members';
import type { PlacementOptions, PoolChatOptions, PoolOptions } from './options';
import { poolFailure } from './pool-error';
import type { ThreadRoutes } from './thread-routes';

/**
 * The pool's routing: which member a call goes to (a thread's own, a placed one for a new thread,
 * the first one up for the rest), and a member's transport failure as a `CodexPoolError`.
 */
export class PoolRouter {
  constructor(
    private readonly all: readonly Member[],
    readonly routes: ThreadRoutes,
    private readonly place: PoolOptions['place'],
  ) {}

  /** The member of a thread (known, or found by asking the members). */
  owner(threadId: string): Promise<Member> {
    return this.routes.owner(threadId);
  }

  /** The first member listed that is up (else reconnecting): methods without a thread go there. */
  primary(): Member {
    return candidates(this.all)[0]!;
  }

  /** The member of a new thread: by `key` (the user's `place`, or a hash), else the least busy. */
  placed(key?: string): Member {
    const open = candidates(this.all);
    if (key === undefined) return leastBusy(open);
    if (!this.place) return byKey(key, open);
    const id = this.place(key, open);
    const m = open.find((x) => x.id === id);
    if (m) return m;
    throw new TypeError(
      `PoolOptions.place returned ${String(id)}, not the id of a member that takes threads (${open.map((x) => x.id).join(', ')})`,
    );
  }

  /** A call on the member of `threadId`. */
  async onThread<T>(threadId: string, call: (c: CodexClient) => Promise<T>): Promise<T> {
    return this.on(await this.owner(threadId), call);
  }

  /** A call on the first member that is up. */
  onPrimary<T>(call: (c: CodexClient) => Promise<T>): Promise<T> {
    return this.on(this.primary(), call);
  }

  /** A call on `m`: its transport failure becomes a `CodexPoolError` naming it. */
  on<T>(m: Member, call: (c: CodexClient) => Promise<T>): Promise<T> {
    return call(m.client).catch((e: unknown) => {
      throw poolFailure(e, m.id);
    });
  }

  /**
   * A call that opens a thread on a placed member; the thread routes there from its result. The
   * member counts as one thread more while the call runs, so new threads opened at once spread.
   */
  async onNew<T>(
    placement: PlacementOptions,
    call: (c: CodexClient) => Promise<T>,
    threadOf: (v: T) => string,
  ): Promise<{ value: T; member: Member }> {
    const m = this.placed(placement.key);
    m.opening++;
    try {
      const value = await this.on(m, call);
      this.routes.learn(threadOf(value), m);
      return { value, member: m };
    } finally {
      m.opening--;
    }
  }

  /**
   * A chat: on its thread's member (`threadId`, or the continuation's), else on a placed member,
   * whose new thread routes there from the chat's first value.
   */
  chat$<T extends { readonly threadId: string }>(
    options: PoolChatOptions,
    call: (c: CodexClient, o: ChatOptions) => Observable<T>,
  ): Observable<T> {
    const { key, ...rest } = options;
    const threadId = rest.continuation?.threadId ?? rest.threadId;
    if (threadId !== undefined) {
      return defer(() => this.owner(threadId)).pipe(mergeMap((m) => call(m.client, rest).pipe(catchError(failure$(m)))));
    }
    return defer(() => {
      const m = this.placed(key);
      m.opening++;
      let opening = true;
      const settle = () => opening && ((opening = false), m.opening--);
      return call(m.client, rest).pipe(
        tap((v) => opening && (this.routes.learn(v.threadId, m), settle())),
        finalize(settle),
        catchError(failure$(m)),
      );
    });
  }
}

/** A stream's error from member `m`, its transport failure as a `CodexPoolError`. */
export function failure$(m: Member): (e: unknown) => Observable<never> {
  return (e) => throwError(() => poolFailure(e, m.id));
}
