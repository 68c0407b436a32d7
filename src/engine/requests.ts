import type { Observable } from 'rxjs';
import type { RequestOptions } from '../options';
import type { JsonRpcConnection } from '../streams/connection';

/**
 * How a request of the engine reaches the wire. Every request the engine (and the client over it)
 * makes goes through `EngineRequests` with one of the rule sets of `CALL`; ARCHITECTURE.md ("A call,
 * to the wire") tables them.
 */
export interface CallRules {
  /**
   * `await`: waits for the connection's handshake (the first, or the new link's during an outage),
   * registered from the call (its deadline and signal run while it waits). `skip`: the caller is
   * past it already (a turn exists), or is part of it.
   */
  readonly handshake: 'await' | 'skip';
  /**
   * `gated`: goes out once the link is up and its relink steps are done (held by the link gate
   * meanwhile); lost with a link the server survived, a read is sent again on the new one; an
   * overloaded answer is retried as the connection's retry policy says. `current`: on the link as
   * it is, past the gate, never held nor retried: for the relink steps themselves (the handshake
   * again, thread resumes), which run before the gate opens.
   */
  readonly link: 'gated' | 'current';
}

/** The rule sets in use, by who calls. */
export const CALL = {
  /** A user's request (`client.request` and its wrappers), and the engine's before a turn exists (thread open, stored-turn reads of `turn/start`). */
  user: { handshake: 'await', link: 'gated' },
  /**
   * The engine's own that need no wait for the handshake: the first `initialize` itself, and the
   * requests made once a turn exists (`turn/start` after its handshake, stored-turn reads, the
   * interrupt of a turn nobody follows).
   */
  engine: { handshake: 'skip', link: 'gated' },
  /** A step on a new link before anything else goes out (the handshake again, thread resumes). */
  relink: { handshake: 'skip', link: 'current' },
} as const satisfies Record<string, CallRules>;

/** A request function with its rules bound (what the stored-turn readers and the thread registry take). */
export type RequestFn = (method: string, params?: unknown) => Promise<unknown>;

/** The engine's one request path: `JsonRpcConnection`'s request, with the handshake and link rules of `CallRules`. */
export class EngineRequests {
  constructor(
    private readonly connection: JsonRpcConnection,
    /** The handshake to wait for: null when it is done (`Handshake.ready`). */
    private readonly handshakeReady: () => Promise<unknown> | null,
  ) {}

  /** Sends `method` under `rules` and resolves with its result. */
  call(method: string, params?: unknown, opts: RequestOptions = {}, rules: CallRules = CALL.user): Promise<unknown> {
    if (rules.link === 'current') return this.connection.requestNow(method, params, opts);
    return this.connection.request(method, params, opts, this.ready(method, rules));
  }

  /** `call` as a cold Observable: each subscription sends once; unsubscribing forgets the request. */
  call$(
    method: string,
    params?: unknown,
    opts: RequestOptions = {},
    rules: CallRules & { link: 'gated' } = CALL.user,
  ): Observable<unknown> {
    return this.connection.request$(method, params, opts, this.ready(method, rules));
  }

  /** `call` with `rules` bound, without options. */
  bind(rules: CallRules): RequestFn {
    return (method, params) => this.call(method, params, {}, rules);
  }

  /** The handshake a request waits for; none when it is done, skipped, or the request is the handshake itself. */
  private ready(method: string, rules: CallRules): Promise<unknown> | undefined {
    if (rules.handshake === 'skip' || method === 'initialize') return undefined;
    return this.handshakeReady() ?? undefined;
  }
}
