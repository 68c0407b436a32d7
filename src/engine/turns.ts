import { Observable } from 'rxjs';
import { CodexProtocolError, CodexTimeoutError } from '../errors';
import type { CancelResult, ChatContinuation, ChatResult, ConversationStep, RawEvent, TurnEvent } from '../models';
import type { CancelOptions, ChatOptions } from '../options';
import { inactivityTimeout } from '../operators/inactivity-timeout';
import { takeUntilTurnEnd } from '../operators/take-until-turn-end';
import { stepOf, toSteps } from '../operators/to-steps';
import { toTurnEvents } from '../operators/to-turn-events';
import { chatInputProblem, type ChatInput, toUserInput } from '../protocol/input';
import { isRetryNotice } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';
import { turnOverrideParams } from '../protocol/params';
import type { JsonRpcConnection } from '../streams/connection';
import { Deadlines } from '../streams/deadlines';
import type { Environments } from './environments';
import type { Handshake } from './handshake';
import type { IdleRecovery } from './idle-recovery';
import type { Interrupts } from './interrupts';
import { CALL, type EngineRequests } from './requests';
import { OnceRun, type OnceRunParts, type TurnOutput } from './once-run';
import { findStoredTurn, lastAgentMessageOfTurn } from './stored-turns';
import type { ServerRequestDesk } from './server-requests';
import type { EngineSettings } from './settings';
import type { ThreadQueue } from './thread-queue';
import type { ThreadRegistry } from './thread-registry';
import type { TurnExpectation, TurnRouter } from './turn-router';
import { TurnCall, type SessionOwner, type TurnShaper } from './turn-call';
import { type StartedTurn, TurnStarter } from './turn-start';
import type { TurnSession } from './turn-session';

/** The engine's parts a turn uses. */
export interface TurnsParts {
  readonly settings: EngineSettings;
  readonly connection: JsonRpcConnection;
  readonly requests: EngineRequests;
  readonly handshake: Handshake;
  readonly threads: ThreadRegistry;
  readonly router: TurnRouter;
  readonly desk: ServerRequestDesk;
  readonly recovery: IdleRecovery;
  readonly queue: ThreadQueue;
  readonly interrupts: Interrupts;
  readonly environments: Environments;
}

const CONTINUATION_EXCLUSIVE = ['threadId', 'user', 'metadata', 'threadConfig', 'turnOverrides'] as const;

/** Throws `TypeError` for option combinations the API forbids. */
export function validateChatArgs(text: ChatInput | undefined, options: ChatOptions): void {
  if (options.continuation) {
    const given = [...(text !== undefined ? ['text'] : []), ...CONTINUATION_EXCLUSIVE.filter((k) => options[k] !== undefined)];
    if (given.length) throw new TypeError(`continuation cannot be combined with: ${given.join(', ')}`);
    return;
  }
  if (text === undefined) throw new TypeError('text is required (unless resuming with a continuation)');
  const problem = chatInputProblem(text);
  if (problem) throw new TypeError(problem);
}

type Mode = 'once' | 'stream';

/**
 * Turns: starting or resuming one, and shaping its frames with the operators (`inactivityTimeout`,
 * `takeUntilTurnEnd`, then `toSteps`, `toTurnEvents` or a result) into what the caller asked for.
 */
export class Turns implements SessionOwner {
  private readonly suspended = new Set<TurnSession>();
  /** What every `result()` call's `OnceRun` uses: its inactivity deadline goes on one shared timer. */
  private readonly onceParts: OnceRunParts;
  private readonly starter: TurnStarter;

  constructor(private readonly parts: TurnsParts) {
    const { settings, desk } = parts;
    this.starter = new TurnStarter(parts);
    this.onceParts = {
      scheduler: settings.scheduler,
      deadlines: new Deadlines(settings.scheduler),
      lenient: !settings.strict,
      isPaused: (s) => desk.hasPendingFor(s.turnId),
      result: (s) => this.finalResult(s),
    };
  }

  steps$(text: ChatInput | undefined, options: ChatOptions): Observable<ConversationStep> {
    return this.turn$(text, options, 'stream', false, (frames$, s) => frames$.pipe(toSteps({ seenItemIds: s.seenItemIds })));
  }

  events$(text: ChatInput | undefined, options: ChatOptions): Observable<TurnEvent> {
    return this.turn$(text, options, 'stream', true, (frames$, s, fresh) => {
      const events$ = frames$.pipe(toTurnEvents({ seenItemIds: s.seenItemIds, result: () => s.result() }));
      const started: TurnEvent | null = fresh ? { threadId: s.threadId, turnId: s.turnId, type: 'started' } : null;
      // `startWith` and the read fallback by hand, in one subscriber: operators would put more hops on every frame.
      return new Observable<TurnEvent>((sub) => {
        if (started) sub.next(started);
        if (sub.closed) return undefined;
        /** A `completed` whose result lacks the final text: emitted once the stored turn was read. */
        let reading: Promise<TurnEvent> | null = null;
        return events$.subscribe({
          next: (event) => {
            if (event.type === 'completed' && event.result.completionSource === null) reading = this.completedFromStore(s, event);
            else sub.next(event);
          },
          error: (err) => sub.error(err),
          complete: () => {
            if (!reading) return sub.complete();
            reading.then(
              (event) => (sub.next(event), sub.complete()),
              (err) => sub.error(err),
            );
          },
        });
      });
    });
  }

  /**
   * The turn's result, once it ended. Promise-shaped all the way (`chatOnce` wants one value):
   * the same turn lifecycle as the streaming calls, consumed by a `OnceRun` instead of an operator chain.
   */
  result(text: ChatInput | undefined, options: ChatOptions): Promise<ChatResult> {
    try {
      validateChatArgs(text, options);
      this.checkTools(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const idleMs = this.idleMs(options);
    return new Promise<ChatResult>((resolve, reject) => {
      let value: ChatResult;
      const out: TurnOutput<ChatResult> = { next: (v) => (value = v), error: reject, complete: () => resolve(value) };
      const shape: TurnShaper<ChatResult> = (s, _fresh, cursor, sink) => new OnceRun(s, this.onceParts, idleMs, sink).start(cursor);
      new TurnCall(this, { options, mode: 'once', retain: true, out, shape }).begin(text);
    });
  }

  /** Stops a timed-out turn (interrupting it unless it already ended) and returns what was unread. */
  async cancel(continuation: ChatContinuation, opts: CancelOptions = {}): Promise<CancelResult> {
    const session = this.sessionFor(continuation, null);
    const wasCompleted = session.ended;
    if (!wasCompleted) {
      const ended = session.whenEnded();
      const { threadId, turnId } = session;
      await this.parts.interrupts.interrupt(threadId, turnId, { timeoutMs: opts.timeoutMs });
      const waitMs = opts.timeoutMs === undefined ? this.parts.settings.requestTimeoutMs : opts.timeoutMs;
      await this.deadline(
        ended,
        waitMs,
        () =>
          new CodexTimeoutError(`turn ${turnId} did not end within ${waitMs} ms of turn/interrupt`, {
            method: 'turn/interrupt',
            timeoutMs: waitMs!,
          }),
      );
    }
    const frames = session.unread(continuation.cursor);
    const seen = new Set(session.seenItemIds);
    const steps = frames.map((f) => stepOf(f, seen)).filter((s): s is ConversationStep => s !== null);
    this.releaseTurn(session);
    return {
      threadId: session.threadId,
      turnId: session.turnId,
      steps,
      rawEvents: frames as RawEvent[],
      wasCompleted,
      wasInterrupted: !wasCompleted,
      droppedDeltas: session.droppedDeltas,
    };
  }

  /** The session a continuation names, checked against mode and thread (`TypeError` for a misuse). */
  private sessionFor(c: ChatContinuation, mode: Mode | null): TurnSession {
    const session = this.parts.router.get(c.turnId);
    if (!session)
      throw new TypeError(`unknown turn ${c.turnId}: nothing to resume (it ended, was cancelled, or belongs to another client)`);
    if (session.threadId !== c.threadId) {
      throw new TypeError(`continuation of thread ${c.threadId} does not belong to thread ${session.threadId}`);
    }
    if (mode && c.mode !== mode) throw new TypeError(`continuation of mode '${c.mode}' cannot resume a '${mode}' call`);
    if (session.attached) throw new TypeError(`turn ${c.turnId} is already being consumed`);
    return session;
  }

  private turn$<R>(
    text: ChatInput | undefined,
    options: ChatOptions,
    mode: Mode,
    retain: boolean,
    /** Shapes the turn's frames (inactivity-guarded, ending with the turn) into the call's output. */
    shape: (frames$: Observable<JsonRpcMessage>, session: TurnSession, fresh: boolean) => Observable<R>,
  ): Observable<R> {
    validateChatArgs(text, options);
    this.checkTools(options);
    const { settings, desk } = this.parts;
    const idleMs = this.idleMs(options);
    return new Observable<R>((subscriber) =>
      new TurnCall<R>(this, {
        options,
        mode,
        retain,
        out: subscriber,
        shape: (s, fresh, cursor, out) => {
          const frames$ = new Observable<JsonRpcMessage>((sub) => {
            s.attach(sub, cursor);
            return () => s.detach();
          }).pipe(
            inactivityTimeout<JsonRpcMessage>(idleMs, () => s.continuation(), {
              scheduler: settings.scheduler,
              // An approval waits for a person: not inactivity.
              isPaused: () => desk.hasPendingFor(s.turnId),
              // A server retrying (its `error` with `willRetry`) is stuck, not making progress.
              isActivity: (frame) => !isRetryNotice(frame),
            }),
            // Non-strict: a turn/completed whose turn does not decode ends the turn (it is reported).
            takeUntilTurnEnd({ malformed: settings.strict ? 'error' : 'complete' }),
          );
          return shape(frames$, s, fresh).subscribe(out);
        },
      }).begin(text),
    );
  }

  /** Tools the chat's new thread cannot take fail the call at once (`TypeError`), before anything is sent. */
  private checkTools(options: ChatOptions): void {
    this.parts.environments.checkChat(options.threadConfig, options.turnOverrides);
    const tools = options.threadConfig?.tools;
    if (tools?.length) this.parts.threads.checkTools(options.threadId === undefined ? 'thread/start' : 'thread/resume', tools);
  }

  private idleMs(options: ChatOptions): number | null {
    return options.inactivityTimeoutMs !== undefined ? options.inactivityTimeoutMs : this.parts.settings.inactivityTimeoutMs;
  }

  // ---- SessionOwner: how a TurnCall gets and lets go of its session ---------------------------

  /** The suspended session the call's continuation resumes, made ready for its mode. */
  resumeTurn({ options, mode, retain }: TurnCall<unknown>): TurnSession {
    const c = options.continuation!;
    const s = this.sessionFor(c, mode);
    const problem = s.resumeProblem(c.cursor);
    if (problem) {
      // A gap no continuation can close frees the turn; a wrong cursor leaves it resumable.
      if (problem.fatal) this.releaseTurn(s);
      throw problem.error;
    }
    this.suspended.delete(s);
    s.mode = mode;
    if (retain) s.retainEvents();
    return s;
  }

  /**
   * Starts a turn: handshake, thread, its turn on the thread (after the chats ahead of it there),
   * turn/start; resolves with its session and the thread's release (null: the caller left meanwhile).
   */
  async startTurn(text: ChatInput, call: TurnCall<unknown>): Promise<TurnSession | null> {
    // The call may have left by the time each await resumes.
    const { options, mode, retain } = call;
    const { handshake, threads, router, recovery, settings, queue, environments } = this.parts;
    const starter = this.starter;
    const ready = handshake.ready();
    if (ready) await ready;
    // A thread/start or thread/resume lost with a link (the server survived it) is sent again.
    const thread = threads.threadFor(options);
    let threadId = typeof thread === 'string' ? thread : await starter.retryLost(() => threads.threadFor(options), thread);
    // Unsubscribed while the thread was being prepared: start no turn.
    if (call.left) return null;
    const slot = queue.enter(threadId);
    const releaseThread = typeof slot === 'function' ? slot : await slot;
    let expectation: TurnExpectation | undefined;
    let started: StartedTurn;
    try {
      if (call.left) {
        releaseThread();
        return null;
      }
      // Waited behind another chat while the link was down: this one opens the thread on the new link.
      if (!threads.has(threadId)) threadId = await starter.retryLost(() => threads.threadFor({ ...options, threadId }));
      expectation = router.expect(threadId);
      const params: Record<string, unknown> = { threadId, input: toUserInput(text) };
      // Not a spread into the literal: V8 makes that a slow runtime copy, on every turn.
      if (options.turnOverrides) Object.assign(params, turnOverrideParams(options.turnOverrides));
      if (options.user !== undefined) params.user = options.user;
      if (options.metadata !== undefined) params.metadata = options.metadata;
      // A placed thread on a new link: its environments and placement go back first (else it runs locally).
      const placing = environments.beforeTurn(threadId, params);
      if (placing) await placing;
      // Its thread stays held (slot and expectation) until the chat knows which turn it owns.
      const starting = starter.start(threadId, params, options.trace ? { trace: options.trace } : undefined);
      started = await environments.guardStart(threadId, params, starting);
      if (params.environments) environments.learn('turn/start', params, started.answer);
      // The server joined this turn/start into a turn of this client that runs on the thread (one
      // started outside the thread queue, say by a raw request): that turn has its consumer.
      if (router.get(started.turnId))
        throw new CodexProtocolError(`turn/start joined turn ${started.turnId}, which this client is already consuming`, {
          data: started.answer ?? started.adopted?.stored,
        });
    } catch (err) {
      if (expectation) router.unexpect(expectation);
      recovery.startFailed(threadId);
      if (!environments.holdThread(err, threadId, releaseThread)) releaseThread();
      throw err;
    }
    const limits = { maxBufferedEvents: settings.maxBufferedEvents, retainEvents: retain };
    const { adopted, turnId } = started;
    const adoption = adopted ? router.adopt(expectation, { ...adopted.stored, id: turnId }, adopted.early, mode, limits) : null;
    const s = adoption ? adoption.session : router.bind(expectation, turnId, mode, limits);
    s.holdThread(releaseThread);
    // An ended turn's approvals are over: the desk forgets them with the session.
    s.hold(() => {
      if (s.ended) this.parts.desk.dropTurn(s.turnId);
    });
    recovery.bound(s);
    environments.watchTurn(s);
    if (adoption?.unsettled) recovery.recheck(s);
    if (call.left) {
      this.abandonTurn(s, options);
      return null;
    }
    return s;
  }

  suspendTurn(s: TurnSession): void {
    s.suspended = true;
    this.suspended.add(s);
    s.hold(() => this.suspended.delete(s));
    // Its thread is free for the next chat once the turn ended on the server (a turn/start before
    // that would join it), or the session is let go (cancelled, evicted, the connection ended).
    if (s.ended) s.freeThread();
    else {
      const free = () => s.freeThread();
      s.whenEnded().then(free, free);
    }
    if (this.suspended.size > this.parts.settings.maxSuspendedTurns) {
      const oldest = this.suspended.values().next().value as TurnSession;
      this.releaseTurn(oldest);
    }
  }

  /** Forgets a session: its consumer finished, it was cancelled, or it was evicted (everything held for it goes too). */
  releaseTurn(s: TurnSession): void {
    s.release();
  }

  /**
   * The subscriber left mid-turn: free the turn's state now. Approvals of the turn stay with the
   * desk, which still answers them as the handler decides. The thread stays held until the server
   * ended the turn (a turn/start sent before that would join it, and the next chat would get both
   * prompts' answers). With `interruptOnUnsubscribe`, or when the chat's signal aborted, the turn is
   * interrupted (as soon as the server has started it) and its pending approvals are answered
   * `cancel` at once; else it runs to its end.
   */
  abandonTurn(s: TurnSession, options: ChatOptions): void {
    const releaseThread = s.takeThreadSlot();
    this.releaseTurn(s);
    if (s.ended) releaseThread?.();
    else if (options.interruptOnUnsubscribe || options.signal?.aborted) {
      this.parts.desk.cancelTurn(s.turnId);
      this.parts.interrupts.interruptLater(s.threadId, s.turnId, s.started, releaseThread ?? undefined);
    } else if (releaseThread) {
      this.parts.interrupts.awaitEnd(s.threadId, s.turnId, releaseThread);
    }
  }

  /**
   * The `completed` event of a turn no agent message of which came: with the stored turn's last
   * one, as `chatOnce` would end (`thread_read_fallback`); as it was when the turn has none.
   */
  private async completedFromStore(s: TurnSession, event: Extract<TurnEvent, { type: 'completed' }>): Promise<TurnEvent> {
    const found = lastAgentMessageOfTurn(await findStoredTurn(this.parts.requests.bind(CALL.engine), s.threadId, s.turnId));
    if (!found) return event;
    const result: ChatResult = {
      ...event.result,
      finalText: found.text,
      assistantItemId: found.itemId,
      completionSource: 'thread_read_fallback',
    };
    return { ...event, result };
  }

  /** The result of an ended turn; reads the stored turn when no agent message completed. */
  private finalResult(s: TurnSession): ChatResult | Promise<ChatResult> {
    const result = s.result();
    if (result.completionSource !== null) return result;
    return this.readResult(s, result);
  }

  private async readResult(s: TurnSession, result: ChatResult): Promise<ChatResult> {
    const found = lastAgentMessageOfTurn(await findStoredTurn(this.parts.requests.bind(CALL.engine), s.threadId, s.turnId));
    if (!found) throw new CodexProtocolError(`turn ${s.turnId} completed without an assistant message`, { data: s.terminal });
    return { ...result, finalText: found.text, assistantItemId: found.itemId, completionSource: 'thread_read_fallback' };
  }

  /** `p`, or `error()` when it has not settled after `ms` on the engine's clock (null: no limit). */
  private deadline<T>(p: Promise<T>, ms: number | null, error: () => Error): Promise<T> {
    if (ms === null) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = this.parts.settings.scheduler.schedule(() => reject(error()), ms);
      p.then(
        (v) => (timer.unsubscribe(), resolve(v)),
        (e) => (timer.unsubscribe(), reject(e)),
      );
    });
  }
}
