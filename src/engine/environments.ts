import { type Observable, Subject, type SchedulerLike, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import type { EnvironmentEvent, EnvironmentPlacement, EnvironmentSpec } from '../models';
import type { JsonRpcNotification } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';
import { rememberSecret } from '../streams/scrub-secrets';
import type { Interrupts } from './interrupts';
import type { EngineRequests } from './requests';
import type { StartedTurn } from './turn-start';
import type { TurnRouter } from './turn-router';
import type { TurnSession } from './turn-session';

const ENVIRONMENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Ids the server gives a meaning of its own. */
const RESERVED_IDS = new Set(['local', 'none']);

/** `TypeError` unless `experimentalApi` is set: environments are the server's experimental API. */
export function requireExperimental(experimentalApi: boolean, what: string): void {
  if (!experimentalApi) throw new TypeError(`${what} is experimental API: set ClientOptions.experimentalApi`);
}

/** `TypeError` for an environment id the client refuses to send. */
export function checkEnvironmentId(id: unknown, what = 'environment id'): asserts id is string {
  if (typeof id !== 'string' || !ENVIRONMENT_ID.test(id)) {
    throw new TypeError(`${what} must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(id)}`);
  }
  if (RESERVED_IDS.has(id)) throw new TypeError(`${what} '${id}' is reserved by the server`);
}

/** `TypeError` for a spec `addEnvironment` refuses (the token never in the message). */
export function checkEnvironmentSpec(spec: EnvironmentSpec): void {
  checkEnvironmentId(spec?.id);
  let protocol: string | null = null;
  try {
    protocol = new URL(spec.url).protocol;
  } catch {
    // Not a URL: the message below says so without echoing it (it may hold credentials).
  }
  if (protocol !== 'ws:' && protocol !== 'wss:') throw new TypeError(`environment ${spec.id}: url must be a ws:// or wss:// URL`);
  if (spec.token !== undefined && (typeof spec.token !== 'string' || spec.token === '')) {
    throw new TypeError(`environment ${spec.id}: token must be a non-empty string`);
  }
  const t = spec.connectTimeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t <= 0))
    throw new TypeError(`environment ${spec.id}: connectTimeoutMs must be a positive integer`);
}

/** `TypeError` for a placement the client refuses to send (ids as `checkEnvironmentId`, a cwd on each). */
export function checkPlacement(placement: readonly EnvironmentPlacement[], what: string): void {
  if (!Array.isArray(placement)) throw new TypeError(`${what} must be an array`);
  for (const p of placement) {
    checkEnvironmentId(p?.environmentId, `${what}: environmentId`);
    if (typeof p.cwd !== 'string' || p.cwd === '') throw new TypeError(`${what}: environment ${p.environmentId} needs a cwd`);
  }
}

/** The engine's parts environments use. */
export interface EnvironmentsParts {
  readonly connection: JsonRpcConnection;
  /** The engine's one request path (the user's rules: after the handshake, on the gated link). */
  readonly requests: EngineRequests;
  readonly router: TurnRouter;
  readonly interrupts: Interrupts;
  readonly scheduler: SchedulerLike;
  readonly experimentalApi: boolean;
  /** How long a placed thread's `turn/start` may go unanswered before its environments' status is read (then again as often). */
  readonly probeMs: number;
}

interface Placement {
  readonly environments: readonly EnvironmentPlacement[];
  /** The link it was made on (or put back on): another link's server may have forgotten it. */
  link: number;
}

/**
 * The environments (remote exec-servers) this client added, and where each thread is placed. The
 * server keeps both in memory only, and `thread/resume` forgets a placement: after a new link
 * (a reconnect, a restarted server) each environment is added again and each placed thread is
 * placed again, before that thread's next turn. A placed thread's `turn/start` that the server
 * holds while an environment recovers (about 45 s on 0.171.0, silently) is checked against the
 * environments' status and fails fast with `environment-disconnected`.
 */
export class Environments {
  /** Environment connect and disconnect notifications (hot). */
  readonly events$: Observable<EnvironmentEvent>;
  private readonly events = new Subject<EnvironmentEvent>();
  private readonly added = new Map<string, { spec: EnvironmentSpec; link: number }>();
  private readonly placements = new Map<string, Placement>();
  /** Whether each (thread, environment) was last heard connected: an event is announced on a change only. */
  private readonly connected = new Map<string, boolean>();
  /** The `turn/start` a failed turn's error left outstanding on the server (see `holdThread`). */
  private readonly late = new WeakMap<object, Promise<StartedTurn>>();
  /** Re-adds under way, by environment and link. */
  private readonly readding = new Map<string, Promise<void>>();

  constructor(private readonly parts: EnvironmentsParts) {
    this.events$ = this.events.asObservable();
    parts.connection.onClose(() => this.events.complete());
  }

  /** An environment added by a raw `request('environment/add', ...)`: remembered as `add` would (re-added on a new link, its token scrubbed). */
  private learnAdded(params: unknown): void {
    const p = params as { environmentId?: unknown; execServerUrl?: unknown; authBearerToken?: unknown; connectTimeoutMs?: unknown } | null;
    if (typeof p?.environmentId !== 'string' || typeof p.execServerUrl !== 'string') return;
    const spec: EnvironmentSpec = { id: p.environmentId, url: p.execServerUrl };
    if (typeof p.authBearerToken === 'string') {
      spec.token = p.authBearerToken;
      rememberSecret(p.authBearerToken);
    }
    if (typeof p.connectTimeoutMs === 'number') spec.connectTimeoutMs = p.connectTimeoutMs;
    this.added.set(spec.id, { spec, link: this.parts.connection.link });
  }

  async add(spec: EnvironmentSpec): Promise<void> {
    requireExperimental(this.parts.experimentalApi, 'addEnvironment');
    checkEnvironmentSpec(spec);
    if (spec.token) rememberSecret(spec.token);
    await this.send(spec);
    this.added.set(spec.id, { spec: { ...spec }, link: this.parts.connection.link });
  }

  status(id: string): Promise<unknown> {
    return this.call('environmentStatus', id, 'environment/status');
  }

  info(id: string): Promise<unknown> {
    return this.call('environmentInfo', id, 'environment/info');
  }

  /**
   * Sends a thread-opening request through `send`: its `environments` checked first (a `TypeError`
   * before anything is sent), the placement it made recorded after.
   */
  async opening(method: string, params: unknown, send: () => Promise<unknown>): Promise<unknown> {
    const environments = (params as { environments?: readonly EnvironmentPlacement[] } | null)?.environments;
    if (environments !== undefined) {
      requireExperimental(this.parts.experimentalApi, 'ThreadConfig.environments');
      checkPlacement(environments, 'ThreadConfig.environments');
      if (method !== 'thread/start')
        throw new TypeError(`ThreadConfig.environments places a new thread (thread/start), not ${method}; use turnOverrides.environments`);
    }
    // Added before a restart the client has not used yet: the new server must know them first.
    const adding = environments?.length ? this.ensureAdded(environments) : null;
    if (adding) await adding;
    const result = await send();
    this.learn(method, params, result);
    return result;
  }

  /** `TypeError` for a chat's placement the client refuses (before anything is sent). */
  checkChat(
    threadConfig: { environments?: readonly EnvironmentPlacement[] } | undefined,
    turn: { environments?: readonly EnvironmentPlacement[] } | undefined,
  ): void {
    if (threadConfig?.environments !== undefined) {
      requireExperimental(this.parts.experimentalApi, 'ThreadConfig.environments');
      checkPlacement(threadConfig.environments, 'ThreadConfig.environments');
    }
    if (turn?.environments !== undefined) {
      requireExperimental(this.parts.experimentalApi, 'turnOverrides.environments');
      checkPlacement(turn.environments, 'turnOverrides.environments');
    }
  }

  /** Records what a request set: the placement a thread-opening, turn or settings request named (its params' `environments`), or an environment a raw `environment/add` added. */
  learn(method: string, params: unknown, result: unknown): void {
    if (method === 'environment/add') return this.learnAdded(params);
    const environments = (params as { environments?: unknown } | null)?.environments;
    if (!Array.isArray(environments)) return;
    const threadId =
      method === 'thread/start'
        ? (result as { thread?: { id?: unknown } } | null)?.thread?.id
        : method === 'turn/start' || method === 'thread/settings/update'
          ? (params as { threadId?: unknown }).threadId
          : undefined;
    if (typeof threadId !== 'string') return;
    this.placements.delete(threadId);
    if (environments.length) this.placements.set(threadId, { environments, link: this.parts.connection.link });
    // Bounded like the known threads: the least recently placed is forgotten first.
    if (this.placements.size > DEFAULTS.maxKnownThreads) this.placements.delete(this.placements.keys().next().value as string);
  }

  /**
   * Before a turn of a placed thread on a link its placement was not made on: adds its
   * environments again where the server does not know them, and places the thread again (unless
   * the turn places it itself). Null when nothing is due (every other turn: no await).
   */
  beforeTurn(threadId: string, params: { environments?: unknown }): Promise<void> | null {
    if (Array.isArray(params.environments)) {
      // The turn places the thread itself: only its environments must be known on this link.
      // Its placement is learnt once the turn/start succeeds: a refused one must leave the old to put back.
      return this.ensureAdded(params.environments as EnvironmentPlacement[]);
    }
    if (this.placements.size === 0) return null;
    const placement = this.placements.get(threadId);
    if (!placement || placement.link === this.parts.connection.link) return null;
    return this.place(threadId, placement, params.environments === undefined);
  }

  /**
   * `start` (a placed thread's `turn/start`), failed with `environment-disconnected` as soon as
   * the status of one of its environments says disconnected while the answer is outstanding.
   */
  guardStart(threadId: string, params: { environments?: unknown }, start: Promise<StartedTurn>): Promise<StartedTurn> {
    if (this.placements.size === 0 && params.environments === undefined) return start;
    // A turn that places the thread (`[]`: nowhere) is not held by the environments it leaves.
    const placed = Array.isArray(params.environments) ? params.environments : this.placements.get(threadId)?.environments;
    if (!placed?.length) return start;
    const ids = (placed as EnvironmentPlacement[]).map((p) => p.environmentId);
    return new Promise<StartedTurn>((resolve, reject) => {
      const probing = this.probe(ids, (id, status, detail) => {
        if (status !== 'disconnected') return false;
        const err = this.disconnected(threadId, id, detail);
        // Once the server answers, the turn ran (and was interrupted): a placement it set holds.
        const applied = start.then((started) => (this.learn('turn/start', { ...params, threadId }, null), started));
        applied.catch(() => undefined); // its failure is `start`'s, handled there
        this.late.set(err, applied);
        this.announce(threadId, id, false, detail);
        reject(err);
        return true;
      });
      start.then(
        (v) => probing.closed || (probing.unsubscribe(), resolve(v)),
        (e) => probing.closed || (probing.unsubscribe(), reject(e)),
      );
    });
  }

  /**
   * After `guardStart` failed a turn: its thread stays held until the server answers the
   * `turn/start` it still holds (that turn is then interrupted), so that the next turn on the
   * thread is not joined into it. False for any other error.
   */
  holdThread(err: unknown, threadId: string, release: () => void): boolean {
    const late = typeof err === 'object' && err !== null ? this.late.get(err) : undefined;
    if (!late) return false;
    late.then(
      (started) => this.parts.interrupts.interruptLater(threadId, started.turnId, true, release),
      () => release(),
    );
    return true;
  }

  /** A `thread/environment/connected|disconnected` notification: announced (see `announce`). */
  onNotification(n: JsonRpcNotification): void {
    const p = n.params as { threadId?: unknown; environmentId?: unknown } | undefined;
    if (typeof p?.threadId !== 'string' || typeof p.environmentId !== 'string') return;
    this.announce(p.threadId, p.environmentId, n.method === 'thread/environment/connected', null);
  }

  /**
   * Watches a placed thread's running turn: the server says nothing while an environment it
   * runs a command on is gone (0.171.0: the command just fails some seconds later), so each
   * `probeMs` the turn runs, its environments' status is read; a change is announced.
   */
  watchTurn(s: TurnSession): void {
    const placement = this.placements.get(s.threadId);
    if (!placement) return;
    const probing = this.probe(
      placement.environments.map((p) => p.environmentId),
      (id, status, detail) => {
        if (status === 'disconnected') this.announce(s.threadId, id, false, detail);
        else if (status === 'ready') this.announce(s.threadId, id, true, null);
        return false;
      },
    );
    s.hold(() => probing.unsubscribe());
  }

  /**
   * Reads the status of `ids` every `probeMs` (one after another) and hands each to `seen`, until
   * `seen` returns true or the returned Subscription is unsubscribed (a read then in flight is
   * dropped).
   */
  private probe(ids: readonly string[], seen: (id: string, status: unknown, detail: string | null) => boolean): Subscription {
    let timer: Subscription | null = null;
    const probing = new Subscription(() => timer?.unsubscribe());
    const round = async () => {
      for (const id of ids) {
        const read = (await this.status(id).catch(() => null)) as { status?: unknown; error?: unknown } | null;
        if (probing.closed) return;
        if (seen(id, read?.status, typeof read?.error === 'string' ? read.error : null)) return probing.unsubscribe();
      }
      if (!probing.closed) schedule();
    };
    const schedule = () => (timer = this.parts.scheduler.schedule(() => void round(), this.parts.probeMs));
    schedule();
    return probing;
  }

  /**
   * A change of a thread's environment, once: `environmentEvents$`, a `TurnEvent` of each of the
   * thread's running turns (the server's frames name the thread only), and for a disconnect a
   * diagnostic. A first `connected` is not news (nothing was heard before).
   */
  private announce(threadId: string, environmentId: string, connected: boolean, detail: string | null): void {
    const key = `${threadId}\u0000${environmentId}`;
    const before = this.connected.get(key);
    this.connected.set(key, connected);
    // Bounded like the placements: the server may name any number of threads.
    if (before === undefined && this.connected.size > DEFAULTS.maxKnownThreads)
      this.connected.delete(this.connected.keys().next().value as string);
    if (before === connected || (before === undefined && connected)) return;
    const event: EnvironmentEvent = { type: connected ? 'connected' : 'disconnected', threadId, environmentId };
    if (!connected) this.report(this.disconnected(threadId, environmentId, detail), event);
    const method = connected ? 'thread/environment/connected' : 'thread/environment/disconnected';
    for (const s of this.parts.router.liveSessions()) {
      if (s.threadId === threadId) s.push({ method, params: { threadId, environmentId, turnId: s.turnId } });
    }
    this.events.next(event);
  }

  private report(error: CodexTransportError, event: EnvironmentEvent): void {
    this.parts.connection.report({ kind: 'environment', message: error.message, detail: event, error });
  }

  private async place(threadId: string, placement: Placement, update: boolean): Promise<void> {
    const link = this.parts.connection.link;
    await this.ensureAdded(placement.environments);
    if (update) await this.parts.requests.call('thread/settings/update', { threadId, environments: placement.environments });
    placement.link = link;
  }

  /** Null when each of these environments this client added is known on this link; else adds again those the server lost. */
  private ensureAdded(environments: readonly EnvironmentPlacement[]): Promise<void> | null {
    const link = this.parts.connection.link;
    const stale = environments.map((p) => this.added.get(p.environmentId)).filter((known) => known !== undefined && known.link !== link);
    if (!stale.length) return null;
    return Promise.all(stale.map((known) => this.readd(known!, link))).then(() => undefined);
  }

  /** One re-add per environment and link, shared by every turn waiting on it (a second add would replace the first, live). */
  private readd(known: { spec: EnvironmentSpec; link: number }, link: number): Promise<void> {
    const key = `${known.spec.id}\u0000${link}`;
    let readding = this.readding.get(key);
    if (!readding) {
      readding = (async () => {
        // The server may have outlived the link (a reconnect): re-adding would replace a live one.
        const status = (await this.status(known.spec.id)) as { status?: unknown };
        if (status?.status === 'unknown') await this.send(known.spec);
        known.link = link;
      })().finally(() => this.readding.delete(key));
      this.readding.set(key, readding);
    }
    return readding;
  }

  private async send(spec: EnvironmentSpec): Promise<void> {
    const params: Record<string, unknown> = { environmentId: spec.id, execServerUrl: spec.url };
    if (spec.token !== undefined) params.authBearerToken = spec.token;
    if (spec.connectTimeoutMs !== undefined) params.connectTimeoutMs = spec.connectTimeoutMs;
    try {
      await this.parts.requests.call('environment/add', params);
    } catch (err) {
      throw this.hideTokens(err, spec.token);
    }
  }

  private async call(what: string, id: string, method: string): Promise<unknown> {
    requireExperimental(this.parts.experimentalApi, what);
    checkEnvironmentId(id);
    return this.parts.requests.call(method, { environmentId: id });
  }

  private disconnected(threadId: string, environmentId: string, detail: string | null): CodexTransportError {
    const message = `environment ${environmentId} of thread ${threadId} is disconnected${detail ? `: ${this.scrub(detail)}` : ''}`;
    return new CodexTransportError(message, { code: 'environment-disconnected', environmentId });
  }

  /** The server's words with every token this client knows replaced by `***`. */
  private scrub(text: string, extra?: string): string {
    let out = extra ? text.split(extra).join('***') : text;
    for (const { spec } of this.added.values()) if (spec.token) out = out.split(spec.token).join('***');
    return out;
  }

  private scrubDeep(value: unknown, token: string | undefined): unknown {
    if (typeof value === 'string') return this.scrub(value, token);
    if (Array.isArray(value)) return value.map((v) => this.scrubDeep(v, token));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrubDeep(v, token)]));
  }

  private hideTokens(err: unknown, token: string | undefined): unknown {
    if (err instanceof Error) {
      err.message = this.scrub(err.message, token);
      // The server's error data may echo the request (its token and all).
      const withData = err as { data?: unknown };
      if (withData.data !== undefined) withData.data = this.scrubDeep(withData.data, token);
    }
    return err;
  }
}
