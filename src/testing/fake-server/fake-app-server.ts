import { asyncScheduler, firstValueFrom, timer, type SchedulerLike } from 'rxjs';
import { CodexClient } from '../../client';
import type { ClientOptions } from '../../options';
import type { Thread } from '../../protocol/generated/v2/Thread';
import type { JsonRpcId } from '../../protocol/messages';
import { PROTOCOL_SERVER_VERSION, type KnownClientRequestMethod, type ParamsOf, type ResultOf } from '../../protocol/methods';
import { errorResponse, notification, response, serverRequest, serverRequestResolved, type ServerRequestFrame } from '../frames';
import { InMemoryTransport, type InboundValue } from '../in-memory-transport';
import { BUILT_IN_METHODS, type MethodCall } from './methods';
import type { FakeAppServerOptions } from './options';
import { ThreadStore, type StoredThread, type ThreadSettings } from './thread-store';
import { echoScript, FakeTurn, type TurnScript } from './turn';
import {
  FakeRpcError,
  FakeTurnEndedError,
  type ClientAnswer,
  type ReceivedNotification,
  type ReceivedRequest,
  type RoutineFrames,
  type SentServerRequest,
  type TurnHost,
} from './types';

/** A byte stream a `FakeAppServer` writes to instead of its in-memory transport (see `FakeAppServer.serve`). */
export interface FakeServerWire {
  /** Writes text or bytes as they are; may return a Promise that resolves when the stream can take more. */
  write(chunk: string | Uint8Array): void | Promise<void>;
}

/** What a method handler (`server.handle()`) gets besides the params. */
export interface FakeRequestContext {
  /** The request's id. */
  readonly id: JsonRpcId;
  /** The request's method. */
  readonly method: string;
  /** The server answering: to send notifications or server requests around the answer. */
  readonly server: FakeAppServer;
  /** Resolves after `ms` on the server's scheduler (to answer late, or out of order). */
  wait(ms: number): Promise<void>;
}

/**
 * A method handler: returns (or resolves with) the result; `undefined` lets the built-in behaviour
 * answer; a thrown `FakeRpcError` answers with that JSON-RPC error (anything else thrown: -32603).
 */
export type FakeMethodHandler<M extends string = string> = (
  params: M extends KnownClientRequestMethod ? ParamsOf<M> : any,
  context: FakeRequestContext,
) =>
  | (M extends KnownClientRequestMethod ? ResultOf<M> : unknown)
  | undefined
  | Promise<(M extends KnownClientRequestMethod ? ResultOf<M> : unknown) | undefined>;

interface PendingAnswer {
  record: SentServerRequest;
  resolve: (answer: ClientAnswer) => void;
  reject: (err: Error) => void;
}

const ALL_ROUTINE: RoutineFrames = { threadStarted: true, threadStatus: true, userMessage: true, tokenUsage: true };

/**
 * A scriptable, in-memory `codex app-server` for tests of code built on `CodexClient`. It speaks
 * over an `InMemoryTransport` the way the real server does: no `"jsonrpc"`, `emittedAtMs` on
 * notifications, its own request ids from 0, the handshake rules, threads that remember their
 * turns, and turns played by scripts (`FakeTurn`). Browser-safe.
 *
 * ```ts
 * const server = new FakeAppServer({ script: (turn) => turn.message(`Hi, ${turn.text}`) });
 * const client = server.client();
 * const result = await client.chatOnce('Ada'); // result.finalText === 'Hi, Ada'
 * ```
 */
export class FakeAppServer {
  /** The connection. `fail()`/`exit()` on it kill it like a dropped socket or a crashed server. */
  readonly transport: InMemoryTransport;
  /** Every request the client sent, in order (see also `requestsOf`). */
  readonly requests: ReceivedRequest[] = [];
  /** Every notification the client sent (`initialized`, ...). */
  readonly notifications: ReceivedNotification[] = [];
  /** Every turn the server started, in order, with its input, status and items. */
  readonly turns: FakeTurn[] = [];
  /** Every request the server sent to the client, with the client's answer once it came. */
  readonly serverRequests: SentServerRequest[] = [];
  /** Every frame (or raw text) the server sent, in order. */
  readonly sent: InboundValue[] = [];
  /** Errors thrown by scripts and method handlers (they also fail their turn, or answer -32603). */
  readonly errors: unknown[] = [];

  private readonly options: FakeAppServerOptions;
  private readonly routine: RoutineFrames;
  private readonly scheduler: SchedulerLike;
  private readonly store: ThreadStore;
  private readonly host: TurnHost;
  private readonly handlers = new Map<string, FakeMethodHandler>();
  private readonly pendingAnswers = new Map<string, PendingAnswer>();
  private readonly nextScripts: TurnScript[] = [];
  private script: TurnScript;
  private wire: FakeServerWire | null = null;
  private readonly optedOut = new Set<string>();
  private initializeAnswered = false;
  private clientMade = false;
  private serverRequestCount = 0;
  private turnCount = 0;
  private itemCount = 0;

  /** A server with its transport, not yet connected: `client()` makes a client over it. */
  constructor(options: FakeAppServerOptions = {}) {
    this.options = options;
    const routine = options.routineFrames ?? true;
    this.routine = typeof routine === 'boolean' ? mapValues(ALL_ROUTINE, routine) : { ...ALL_ROUTINE, ...routine };
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.script = options.script ?? echoScript;
    this.store = new ThreadStore(options.threadId ?? ((n) => `thr-${n}`), options.serverVersion ?? PROTOCOL_SERVER_VERSION);
    this.transport = new InMemoryTransport();
    this.transport.sent$.subscribe({ next: (frame) => this.onClientFrame(frame), complete: () => this.onDisconnect() });
    this.host = {
      scheduler: this.scheduler,
      routine: this.routine,
      deliver: (value) => this.deliver(value),
      deliverChunk: (chunk) => this.deliverChunk(chunk),
      request: (build) => this.ask(build),
      drop: (id, reason) => this.drop(id, reason),
      itemId: () => (this.options.itemId ?? ((n) => `item-${n}`))(++this.itemCount),
      turnEnded: (threadId, turnId) => {
        const thread = this.store.get(threadId);
        if (thread?.activeTurnId === turnId) thread.activeTurnId = null;
      },
    };
  }

  /** The client on this server's connection (one per server), with the server's scheduler unless `options` give one. */
  client(options: ClientOptions = {}): CodexClient {
    if (this.clientMade) throw new Error('FakeAppServer: one client per server (it has one connection); make another FakeAppServer');
    this.clientMade = true;
    return new CodexClient(this.transport, { scheduler: this.options.scheduler, ...options });
  }

  /** The `initialized` notification came (the handshake is complete). */
  get initialized(): boolean {
    return this.notifications.some((n) => n.method === 'initialized');
  }

  // ---- scripting ------------------------------------------------------------------------------------

  /** Sets the script of every later turn. */
  onTurn(script: TurnScript): this {
    this.script = script;
    return this;
  }

  /** Queues a script for the next turn only (several calls: one turn each, in order). */
  onNextTurn(script: TurnScript): this {
    this.nextScripts.push(script);
    return this;
  }

  /** Overrides (or adds) a method: see `FakeMethodHandler`. */
  handle<M extends string>(method: M, handler: FakeMethodHandler<M>): this {
    this.handlers.set(method, handler as FakeMethodHandler);
    return this;
  }

  /** A thread that exists on the server but was not made by this client (`notLoaded` until resumed). Returns its id. */
  addThread(threadId?: string, settings: ThreadSettings = {}): string {
    return this.store.create(settings, { id: threadId, loaded: false }).id;
  }

  /** Sends frames (or raw lines) to the client as they are: unsolicited notifications, garbage, ... */
  send(...frames: InboundValue[]): void {
    for (const f of frames) this.deliver(f);
  }

  /**
   * Sends raw text or bytes as they are, no newline added: a frame cut anywhere (inside a UTF-8
   * character too), a line of hundreds of MB in pieces. Resolves when the stream took it (over a
   * wire with back-pressure, see `serve()`). Over a wire, `sent` does not keep these chunks.
   */
  sendRaw(chunk: string | Uint8Array): Promise<void> {
    return this.deliverChunk(chunk);
  }

  /**
   * Serves over a byte stream (a child process's stdio, a socket) instead of the in-memory
   * `transport`: what the server sends is written to `wire` in order (frames as NDJSON lines), and
   * each line the peer sent is given to the returned function (`false`: not JSON, ignored). The
   * peer's end of the stream is `transport.close()`. No `client()` then: the peer is the client.
   */
  serve(wire: FakeServerWire): (line: string) => boolean {
    if (this.clientMade) throw new Error('FakeAppServer: serve() on a server that has a client()');
    this.clientMade = true;
    this.wire = wire;
    void this.transport.start();
    return (line) => {
      try {
        this.transport.send(line);
        return true;
      } catch (err) {
        if (err instanceof TypeError) return false;
        throw err;
      }
    };
  }

  /** Sends a notification `{method, params, emittedAtMs}`. */
  notify(method: string, params: unknown = {}): void {
    this.deliver(notification(method, params));
  }

  /**
   * Sends a server request with the server's next id (from 0) and resolves with the client's
   * answer as sent. Give a builder to shape it: `sendRequest((id) => userInputRequest({ id, ... }))`.
   * A request with a `threadId` gets `serverRequest/resolved` after the answer.
   */
  sendRequest(method: string, params?: unknown): Promise<ClientAnswer>;
  sendRequest(build: (id: JsonRpcId) => ServerRequestFrame): Promise<ClientAnswer>;
  sendRequest(what: string | ((id: JsonRpcId) => ServerRequestFrame), params: unknown = {}): Promise<ClientAnswer> {
    return this.ask(typeof what === 'string' ? (id) => serverRequest(id, what, params) : what).answer;
  }

  // ---- inspection -----------------------------------------------------------------------------------

  /** The requests of one method, in order. */
  requestsOf<M extends string>(method: M): ReceivedRequest<M>[] {
    return this.requests.filter((r): r is ReceivedRequest<M> => r.method === method);
  }

  /** A thread as `thread/read` with `includeTurns` shows it, or undefined. */
  thread(threadId: string): Thread | undefined {
    const thread = this.store.get(threadId);
    return thread && this.store.toThread(thread, true);
  }

  // ---- the wire -------------------------------------------------------------------------------------

  private onClientFrame(frame: Record<string, unknown>): void {
    const { id, method, params } = frame;
    if (typeof method !== 'string') {
      if (id !== undefined) this.onAnswer(frame as ClientAnswer);
      return;
    }
    if (id === undefined) {
      this.notifications.push({ method, params });
      return;
    }
    const request: ReceivedRequest = { id: id as JsonRpcId, method, params };
    this.requests.push(request);
    this.dispatch(request);
  }

  private dispatch(request: ReceivedRequest): void {
    const { id, method } = request;
    const fail = (err: unknown) => this.answerError(id, err);
    try {
      if (method !== 'initialize' && !this.initializeAnswered) throw new FakeRpcError(-32600, 'Not initialized');
      const handler = this.handlers.get(method);
      const out = handler?.(request.params, { id, method, server: this, wait: (ms) => this.wait(ms) });
      if (isPromiseLike(out)) {
        out.then((result) => (result === undefined ? this.builtIn(request) : this.answer(id, result)), fail);
      } else if (out !== undefined) {
        this.answer(id, out);
      } else {
        this.builtIn(request);
      }
    } catch (err) {
      fail(err);
    }
  }

  private builtIn(request: ReceivedRequest): void {
    const { id, method } = request;
    const params = (request.params ?? {}) as Record<string, any>;
    try {
      if (method === 'initialize') return this.initialize(id, params);
      const method$ = BUILT_IN_METHODS[method];
      if (!method$) throw new FakeRpcError(-32600, `Invalid request: unknown variant \`${method}\``);
      method$(params, this.call(id));
    } catch (err) {
      this.answerError(id, err);
    }
  }

  private initialize(id: JsonRpcId, params: Record<string, any>): void {
    if (this.initializeAnswered) throw new FakeRpcError(-32600, 'Already initialized');
    this.initializeAnswered = true;
    for (const m of params.capabilities?.optOutNotificationMethods ?? []) this.optedOut.add(m);
    const name = String(params.clientInfo?.name ?? 'unknown');
    const version = this.options.serverVersion ?? PROTOCOL_SERVER_VERSION;
    this.answer(id, {
      // The real server's format: <client>/<server version> (<os> <os version>; <arch>) <terminal> (<client>; <client version>)
      userAgent: `${name}/${version} (Linux 6.8.0; x86_64) unknown (${name}; ${String(params.clientInfo?.version ?? '0.0.0')})`,
      codexHome: this.options.codexHome ?? '/tmp/codex-home',
      platformFamily: 'unix',
      platformOs: 'linux',
    });
  }

  private call(id: JsonRpcId): MethodCall {
    let answered = false;
    return {
      id,
      store: this.store,
      routine: this.routine,
      respond: (result) => {
        if (answered) throw new Error(`FakeAppServer: request ${String(id)} answered twice`);
        answered = true;
        this.answer(id, result);
      },
      notify: (frame) => this.deliver(frame),
      activeTurn: (threadId) => {
        const turnId = this.store.get(threadId)?.activeTurnId;
        return turnId ? this.turns.find((t) => t.turnId === turnId && t.threadId === threadId) : undefined;
      },
      startTurn: (thread, params) => this.startTurn(thread, id, params),
    };
  }

  private startTurn(thread: StoredThread, requestId: JsonRpcId, params: Record<string, unknown>): void {
    const n = ++this.turnCount;
    const turnId = (this.options.turnId ?? ((k) => `turn-${k}`))(n, thread.id);
    const input = Array.isArray(params.input) ? (params.input as Array<{ type?: string; text?: string }>) : [];
    const record = this.store.startTurn(thread, turnId, input.find((i) => i.type === 'text')?.text ?? '');
    const turn = new FakeTurn(this.host, record, thread.id, requestId, params);
    this.turns.push(turn);
    turn.run(this.nextScripts.shift() ?? this.script, (err) => this.errors.push(err));
  }

  private answer(id: JsonRpcId, result: unknown): void {
    this.deliver(response(id, result));
  }

  private answerError(id: JsonRpcId, err: unknown): void {
    if (err instanceof FakeRpcError) return this.deliver(errorResponse(id, err.code, err.message, err.data));
    this.errors.push(err);
    this.deliver(errorResponse(id, -32603, `Internal error: ${err instanceof Error ? err.message : String(err)}`));
  }

  private ask(build: (id: JsonRpcId) => ServerRequestFrame): { id: JsonRpcId; answer: Promise<ClientAnswer> } {
    const frame = build(this.serverRequestCount++);
    const record: SentServerRequest = { id: frame.id, method: frame.method, params: frame.params };
    this.serverRequests.push(record);
    const answer = new Promise<ClientAnswer>((resolve, reject) => {
      this.pendingAnswers.set(JSON.stringify(frame.id), { record, resolve, reject });
    });
    // A request nobody awaits may be dropped (its turn ended, the connection closed): not an unhandled rejection.
    answer.catch(() => undefined);
    this.deliver(frame);
    return { id: frame.id, answer };
  }

  private onAnswer(answer: ClientAnswer): void {
    const key = JSON.stringify(answer.id);
    const pending = this.pendingAnswers.get(key);
    const record = pending?.record ?? this.serverRequests.find((r) => JSON.stringify(r.id) === key && !r.answer);
    if (record) record.answer = answer;
    if (!pending) return;
    this.pendingAnswers.delete(key);
    this.resolved(pending.record);
    pending.resolve(answer);
  }

  /** Drops a pending request, as the real server does when its turn ends. */
  private drop(id: JsonRpcId, reason: Error): void {
    const key = JSON.stringify(id);
    const pending = this.pendingAnswers.get(key);
    if (!pending) return;
    this.pendingAnswers.delete(key);
    this.resolved(pending.record);
    pending.reject(reason);
  }

  private resolved(record: SentServerRequest): void {
    const threadId = (record.params as { threadId?: unknown } | null)?.threadId;
    if (typeof threadId === 'string') this.deliver(serverRequestResolved({ threadId, requestId: record.id as string | number }));
  }

  private onDisconnect(): void {
    for (const turn of this.turns) turn.abandon();
    for (const { record, reject } of this.pendingAnswers.values()) {
      reject(new FakeTurnEndedError(String((record.params as { turnId?: unknown } | null)?.turnId ?? ''), 'closed'));
    }
    this.pendingAnswers.clear();
  }

  private deliver(value: InboundValue): void {
    const method =
      typeof value === 'object' && (value as { id?: unknown }).id === undefined ? (value as { method?: unknown }).method : undefined;
    if (typeof method === 'string' && this.optedOut.has(method)) return;
    this.sent.push(value);
    if (this.wire) void this.wire.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
    else this.later(() => (typeof value === 'string' ? this.transport.receiveLine(value) : this.transport.receive(value)));
  }

  private deliverChunk(chunk: string | Uint8Array): Promise<void> {
    if (this.wire) return Promise.resolve(this.wire.write(chunk));
    this.sent.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    this.later(() => this.transport.receiveChunk(chunk));
    return Promise.resolve();
  }

  private later(run: () => void): void {
    if (this.options.delivery === 'sync') run();
    else queueMicrotask(run);
  }

  private wait(ms: number): Promise<void> {
    return firstValueFrom(timer(ms, this.scheduler)).then(() => undefined);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function mapValues<T extends object, V>(obj: T, value: V): { [K in keyof T]: V } {
  return Object.fromEntries(Object.keys(obj).map((k) => [k, value])) as { [K in keyof T]: V };
}
