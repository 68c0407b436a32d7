import { Subscription, type TeardownLogic } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { ChatContinuation, ChatResult } from '../models';
import type { JsonRpcMessage } from '../protocol/messages';
import { ResultCollector } from '../protocol/turn-result';
import type { BufferBudget } from './buffer-budget';
import type { HeldLoss } from './held-frames';
import { SessionBuffer } from './session-buffer';

/** What is attached to a session and receives its frames, raw (the operator chain's subscriber, or a `OnceRun`). */
export interface FrameSubscriber {
  next(frame: JsonRpcMessage): void;
  error(err: Error): void;
}

/** Limits of one session. */
export interface SessionLimits {
  /** Most events buffered while nobody listens (after an inactivity timeout). */
  maxBufferedEvents: number;
  /** Keep the turn's non-delta events for a `ChatResult` (chatOnce, chatEvents). */
  retainEvents: boolean;
}

/**
 * The client's state of one running turn: counts the events handed to its consumer (the
 * continuation cursor), buffers them while nobody listens, and keeps what a `ChatResult` needs.
 * Frames reach it from the router by id, never through a filter. It is the turn's one record:
 * whatever the engine keeps for the turn elsewhere (its routing entry, its thread's place, its idle
 * check, its place among the suspended turns) is added to it with `hold`, and `release()` lets all
 * of it go in one call.
 */
export class TurnSession {
  /** Events handed to consumers so far: the continuation cursor. */
  delivered = 0;
  /** The `turn/completed` frame, once it came. */
  terminal: JsonRpcMessage | null = null;
  /** The server has started the turn (`turn/started` came): it can be interrupted now. */
  started = false;
  private seen: Set<string> | null = null;
  /** The last agent message and (when `retainEvents`) the non-delta events: the `ChatResult`. */
  private collected: ResultCollector;
  /** The consumer timed out and may come back with a continuation. */
  suspended = false;
  private consumer: FrameSubscriber | null = null;
  /** Events held while nobody listens, from cursor `buffer.start` on. */
  private readonly buffer: SessionBuffer;
  /**
   * The events that came before the first consumer attached: those the server sent while turn/start
   * was in flight, handed over in the same tick. Held apart from the buffer, outside the byte
   * budget: nearly every turn has some, and budget bookkeeping for them cost more than the turn's
   * other set-up.
   */
  private early: JsonRpcMessage[] | null = null;
  private everAttached = false;
  /** Ids of the items completed so far (item/completed pushed), for reconciling after a reconnect. */
  private readonly completedItems = new Set<string>();
  /** While reconciling after a reconnect: the live frames that came meanwhile, in order. */
  private paused: JsonRpcMessage[] | null = null;
  /** What the engine keeps for the turn outside the session, released with it. */
  private readonly holdings = new Subscription();
  /** The turn's place on its thread (see ThreadQueue), held until the turn ends on the server or the session is let go. */
  private threadSlot: Subscription | null = null;
  private endWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  private startWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  private failure: Error | null = null;
  /** Forgotten (`dispose`): whatever still reaches it (a reconnect's reconciling) is dropped, not held. */
  private released = false;

  constructor(
    readonly threadId: string,
    readonly turnId: string,
    public mode: 'once' | 'stream',
    private limits: SessionLimits,
    budget: BufferBudget,
  ) {
    this.collected = new ResultCollector(limits.retainEvents);
    this.buffer = new SessionBuffer(budget, limits.maxBufferedEvents);
  }

  /** Item ids already turned into steps, shared by every consumer of the turn (made on first use: chatOnce makes no steps). */
  get seenItemIds(): Set<string> {
    return (this.seen ??= new Set());
  }

  get ended(): boolean {
    return this.terminal !== null;
  }

  get attached(): boolean {
    return this.consumer !== null;
  }

  continuation(): ChatContinuation {
    return { threadId: this.threadId, turnId: this.turnId, cursor: this.delivered, mode: this.mode };
  }

  /** The turn's result so far, from its last completed agent message (no read fallback). */
  result(): ChatResult {
    return this.collected.result(this.threadId, this.turnId, this.buffer.droppedDeltas);
  }

  /** Text deltas dropped while nobody listened (the byte budget); their text is in the completed items. */
  get droppedDeltas(): number {
    return this.buffer.droppedDeltas;
  }

  /** Something the engine keeps for this turn, let go by `release()` (at once if it was released). */
  hold(teardown: TeardownLogic): void {
    this.holdings.add(teardown);
  }

  /** The session holds its thread's place (see ThreadQueue) from now until `freeThread()` or `release()`. */
  holdThread(release: () => void): void {
    this.threadSlot = new Subscription(release);
    this.holdings.add(this.threadSlot);
  }

  /** Gives the thread's place up (idempotent): the next chat on the thread may start its turn. */
  freeThread(): void {
    this.threadSlot?.unsubscribe();
    this.threadSlot = null;
  }

  /** Takes the thread's place away from the session (its release no longer frees it), for a caller that frees it later. */
  takeThreadSlot(): (() => void) | null {
    const slot = this.threadSlot;
    if (!slot) return null;
    this.threadSlot = null;
    this.holdings.remove(slot);
    return () => slot.unsubscribe();
  }

  /** What the byte budget dropped of the turn's frames before its turn id was known (see HeldFrames). */
  lostWhileStarting(loss: HeldLoss): void {
    this.buffer.droppedDeltas += loss.droppedDeltas;
    if (loss.droppedEvents > 0) {
      this.fail(
        new CodexProtocolError(
          `turn ${this.turnId}: ${loss.droppedEvents} events were dropped while turn/start was in flight (maxBufferedBytes); the turn has a gap`,
        ),
      );
    }
  }

  /** From now on, keep the non-delta events for a `ChatResult` too (a resume by chatOnce/chatEvents). */
  retainEvents(): void {
    if (this.limits.retainEvents) return;
    this.limits = { ...this.limits, retainEvents: true };
    const before = this.collected;
    this.collected = new ResultCollector(true);
    this.collected.lastAgentMessage = before.lastAgentMessage;
    this.collected.usage = before.usage;
  }

  push(frame: JsonRpcMessage): void {
    if (this.released) return;
    if (this.paused) this.paused.push(frame);
    else this.deliver(frame);
  }

  /** Reconciling after a reconnect: live frames wait until `unpause`, so that missed items come first. */
  pause(): void {
    if (!this.released) this.paused ??= [];
  }

  /**
   * What the server stored of this turn, read after a reconnect or an idle thread: its items this
   * session never got are delivered now, in order, as `item/completed` (an item still in progress
   * is left to come live), and a turn that ended meanwhile ends with its stored status. An end the
   * server has not settled yet (`completedAt: null`: a stored turn whose end is not recorded reads
   * as `interrupted` for a moment, also when it completed) ends the turn only when `final`; else
   * the turn goes on, and the result is true: read it again later.
   */
  reconcile(
    stored: { readonly status?: unknown; readonly items?: unknown; readonly completedAt?: unknown } | null,
    final = false,
  ): boolean {
    if (!stored) return false;
    const items = Array.isArray(stored.items) ? (stored.items as Array<{ id?: unknown; status?: unknown } | null>) : [];
    for (const item of items) {
      if (typeof item?.id !== 'string' || this.completedItems.has(item.id) || item.status === 'inProgress') continue;
      this.deliver({ method: 'item/completed', params: { threadId: this.threadId, turnId: this.turnId, item } });
    }
    if (typeof stored.status !== 'string' || stored.status === 'inProgress' || this.terminal) return false;
    if (stored.completedAt === null && !final) return true;
    this.deliver({ method: 'turn/completed', params: { threadId: this.threadId, turn: stored } });
    return false;
  }

  /** Live frames that came while reconciling, less what reconciling already delivered. */
  unpause(): void {
    const held = this.paused ?? [];
    this.paused = null;
    for (const frame of held) {
      const method = (frame as { method?: string }).method;
      if (method === 'turn/completed' && this.terminal) continue;
      if (method === 'item/completed' && this.completedItems.has(completedItemId(frame) ?? '')) continue;
      this.deliver(frame);
    }
  }

  private deliver(frame: JsonRpcMessage): void {
    if (this.released) return;
    const method = (frame as { method: string }).method;
    if (method === 'item/completed') {
      const id = completedItemId(frame);
      if (id !== undefined) this.completedItems.add(id);
    }
    if (method === 'turn/completed') {
      this.terminal = frame;
      for (const w of this.endWaiters.splice(0)) w.resolve();
      for (const w of this.startWaiters.splice(0)) w.resolve();
    } else if (method === 'turn/started' && !this.started) {
      this.started = true;
      for (const w of this.startWaiters.splice(0)) w.resolve();
    }
    this.collected.push(frame);
    if (this.consumer) {
      this.delivered++;
      this.consumer.next(frame);
    } else if (!this.everAttached) {
      (this.early ??= []).push(frame);
    } else {
      this.buffer.hold(frame);
    }
  }

  /**
   * Attaches a consumer from `cursor` on: replays the buffered events after it, then goes live.
   * Throws when events after the cursor are no longer held (`CodexProtocolError`) or never were (`TypeError`).
   */
  attach(consumer: FrameSubscriber, cursor = this.delivered): void {
    const problem = this.resumeProblem(cursor);
    if (problem) throw problem.error;
    this.suspended = false;
    // The first consumer (cursor 0) gets what came before it; a later one what was held since.
    const replay = this.everAttached ? this.buffer.from(cursor) : (this.early ?? []);
    this.everAttached = true;
    this.early = null;
    this.buffer.reset(cursor + replay.length);
    this.delivered = cursor;
    this.consumer = consumer;
    for (let i = 0; i < replay.length; i++) {
      const frame = replay[i]!;
      if (this.consumer !== consumer) {
        // The consumer finished during the replay: keep the rest for a later one.
        this.buffer.reset(this.delivered);
        for (const rest of replay.slice(i)) this.buffer.hold(rest);
        return;
      }
      this.delivered++;
      consumer.next(frame);
    }
    if (this.failure && this.consumer === consumer) consumer.error(this.failure);
  }

  /**
   * Why a consumer cannot attach at `cursor`, or null. `fatal`: events were dropped, so no cursor
   * can ever resume the turn; otherwise only this cursor is wrong (stale or from the future).
   */
  resumeProblem(cursor: number): { error: Error; fatal: boolean } | null {
    const { overflow, overflowedBy, start, length } = this.buffer;
    if (overflow !== null) {
      const limit = overflowedBy === 'maxBufferedEvents' ? `maxBufferedEvents ${this.limits.maxBufferedEvents}` : 'maxBufferedBytes';
      const error = new CodexProtocolError(
        `turn ${this.turnId}: ${overflow} events were dropped while nobody listened (${limit}); it cannot be resumed without a gap`,
      );
      return { error, fatal: true };
    }
    if (cursor < start || cursor > start + length) {
      // A cursor this turn never handed out: a caller mistake.
      const error = new TypeError(`turn ${this.turnId}: cursor ${cursor} is outside the events held (${start}..${start + length})`);
      return { error, fatal: false };
    }
    return null;
  }

  /** Detaches the consumer; later events are buffered from the current cursor. */
  detach(): void {
    this.consumer = null;
    this.buffer.reset(this.delivered);
  }

  /** The events after `cursor` not yet delivered (for `cancel`). */
  unread(cursor: number): JsonRpcMessage[] {
    return this.buffer.from(cursor);
  }

  /**
   * The session is forgotten (its consumer finished, it was cancelled or evicted, its server is
   * gone): what it buffers leaves the budget, and everything held for it (`hold`) is let go. Idempotent.
   */
  release(): void {
    this.released = true;
    this.paused = null;
    this.early = null;
    this.buffer.reset(this.delivered);
    this.holdings.unsubscribe();
  }

  /** Resolves when the turn's terminal frame arrives; rejects when the connection ends first. */
  whenEnded(): Promise<void> {
    if (this.terminal) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.endWaiters.push({ resolve, reject }));
  }

  /** Resolves when the server has started the turn, or it ended; rejects when the connection ends first. */
  whenStarted(): Promise<void> {
    if (this.started || this.terminal) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.startWaiters.push({ resolve, reject }));
  }

  /** The connection ended: the consumer (now or when it attaches) gets `err`. */
  fail(err: Error): void {
    this.failure = err;
    for (const w of this.startWaiters.splice(0)) w.reject(err);
    for (const w of this.endWaiters.splice(0)) w.reject(err);
    this.consumer?.error(err);
  }
}

function completedItemId(frame: JsonRpcMessage): string | undefined {
  const id = (frame as { params?: { item?: { id?: unknown } } }).params?.item?.id;
  return typeof id === 'string' ? id : undefined;
}
