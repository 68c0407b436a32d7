/** The life of a fake turn on the wire: opening, ending, raw frames, and the state those frames imply. */
import type { ThreadItem } from '../../protocol/generated/v2/ThreadItem';
import type { TokenUsageBreakdown } from '../../protocol/generated/v2/TokenUsageBreakdown';
import type { TurnError } from '../../protocol/generated/v2/TurnError';
import type { TurnStatus } from '../../protocol/generated/v2/TurnStatus';
import type { UserInput } from '../../protocol/generated/v2/UserInput';
import type { JsonRpcId } from '../../protocol/messages';
import {
  errorNotification,
  itemCompleted,
  itemStarted,
  response,
  threadStatusChanged,
  tokenUsageUpdated,
  turnCompleted,
  turnError,
  turnObject,
  turnStarted,
  type ResponseFrame,
} from '../frames';
import { frameNow } from '../frames/clock';
import type { InboundValue } from '../in-memory-transport';
import type { StoredTurn } from './thread-store';
import { FakeTurnEndedError, type TurnHost } from './types';

/** How a turn ends (`turn.complete()`). */
export interface CompleteOptions {
  /** Default `completed`. */
  status?: 'completed' | 'failed' | 'interrupted';
  /** The turn's error (a message or a `TurnError`); `failed` without one gets `turn failed`. */
  error?: string | TurnError;
  /** False: the turn ends (thread idle, `thread/read` shows it ended) but `turn/completed` is never sent, as in a known server bug. Default true. */
  sendTurnCompleted?: boolean;
}

/**
 * The lifecycle half of `FakeTurn` (which adds the script's helpers). The turn *opens* before its
 * first helper, and at the latest once the script's synchronous part has run: the `turn/start`
 * response, `thread/status/changed` (active), `turn/started` and the user's message. `send()`
 * sends frames exactly as given and opens nothing, for out-of-order and malformed traffic; the
 * turn's state follows what the frames say.
 */
export class TurnLifecycle {
  /** The user's input of `turn/start`. */
  readonly input: UserInput[];
  /** The text parts of `input`, joined with newlines. */
  readonly text: string;
  /** The `turn/start` response frame (to place it yourself with `send`/`sendChunk`; it then counts as sent). */
  readonly response: ResponseFrame;

  private responded = false;
  private opened = false;
  private started = false;
  private held = false;
  private keptOpen = false;
  private usageSent = false;
  /** True once the turn ended (completed, failed, interrupted, or its connection closed): helpers then throw `FakeTurnEndedError`. */
  protected ended = false;
  /** Server requests of this turn awaiting their answer. */
  protected readonly pending = new Set<JsonRpcId>();
  private readonly aborts = new Set<(err: Error) => void>();

  /** @internal Made by the server for each `turn/start`. */
  constructor(
    /** The server that delivers the turn's frames and answers (for `FakeTurn`'s helpers). */
    protected readonly host: TurnHost,
    /** The turn as the server stores it (what `thread/read` shows), updated as frames go out. */
    protected readonly record: StoredTurn,
    /** The thread the turn runs on. */
    readonly threadId: string,
    /** The id of the client's `turn/start` request. */
    readonly requestId: JsonRpcId,
    /** The `turn/start` params as received. */
    readonly params: Record<string, unknown>,
  ) {
    this.input = Array.isArray(params.input) ? (params.input as UserInput[]) : [];
    this.text = this.input.flatMap((i) => (i.type === 'text' ? [i.text] : [])).join('\n');
    this.response = response(requestId, { turn: turnObject(record.id) });
  }

  /** The turn's id, as `turn/start`'s response and `turn/started` carry it. */
  get turnId(): string {
    return this.record.id;
  }

  /** `inProgress` until the turn ended. */
  get status(): TurnStatus {
    return this.record.status;
  }

  /** The completed items of the turn so far (as `thread/read` shows them). */
  get items(): readonly ThreadItem[] {
    return this.record.items;
  }

  /** True once `turn/started` went out and until the turn ended: what `turn/interrupt` needs. */
  get active(): boolean {
    return this.started && !this.ended;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /** Leaves `turn/start` unanswered until the script calls `respond()`, `open()` or a helper. Call it synchronously. */
  hold(): void {
    this.held = true;
  }

  /** Sends the `turn/start` response, if not sent yet. */
  respond(): void {
    if (!this.responded) this.emit(this.response);
  }

  /** Sends what opens a turn and was not sent yet: response, active status, `turn/started`, the user's message. */
  open(): void {
    this.respond();
    if (this.opened || this.ended) return;
    this.opened = true;
    const { threadId, turnId } = this;
    if (this.host.routine.threadStatus) this.emit(threadStatusChanged({ threadId, status: 'active' }));
    if (!this.started) this.emit(turnStarted({ threadId, turnId }));
    if (this.host.routine.userMessage) {
      // The server stores text inputs with their (possibly empty) text_elements.
      const content = this.input.map((i) => (i.type === 'text' ? { ...i, text_elements: i.text_elements ?? [] } : i));
      const item = { type: 'userMessage', id: this.host.itemId(), clientId: null, content } as ThreadItem;
      this.emit(itemStarted({ threadId, turnId, item }));
      this.emit(itemCompleted({ threadId, turnId, item }));
    }
  }

  /** The turn stays running after the script returns: end it later (`complete()`, `fail()`), or let the client interrupt it. */
  keepOpen(): void {
    this.keptOpen = true;
  }

  /** Ends the turn: token usage, idle status, `turn/completed`. Does nothing once the turn ended. */
  complete(opts: CompleteOptions = {}): void {
    if (this.ended) return;
    const status = opts.status ?? 'completed';
    this.open();
    if (status !== 'interrupted' && this.host.routine.tokenUsage && !this.usageSent) this.usage({});
    const given = opts.error ?? (status === 'failed' ? 'turn failed' : null);
    this.end(status, typeof given === 'string' ? turnError(given) : given, opts.sendTurnCompleted ?? true);
  }

  /** Fails the turn like a model error: an `error` notification, then `turn/completed` with `failed`. */
  fail(message: string, extra: Partial<TurnError> = {}): void {
    if (this.ended) return;
    this.open();
    this.emit(errorNotification({ threadId: this.threadId, turnId: this.turnId, message, codexErrorInfo: extra.codexErrorInfo }));
    this.complete({ status: 'failed', error: turnError(message, extra) });
  }

  /** An `error` notification that does not end the turn (`willRetry` true by default: the server retries). */
  error(message: string, opts: { willRetry?: boolean; codexErrorInfo?: TurnError['codexErrorInfo'] } = {}): void {
    this.live();
    this.emit(errorNotification({ ...opts, threadId: this.threadId, turnId: this.turnId, message, willRetry: opts.willRetry ?? true }));
  }

  /** Ends the turn as `interrupted`, as `turn/interrupt` does: pending server requests are dropped, the script's waits reject. */
  interrupt(): void {
    if (this.ended) return;
    this.end('interrupted', null, true);
  }

  /** `thread/tokenUsage/updated` now (the routine one at the end is then not sent). */
  usage(total: Partial<TokenUsageBreakdown>, last?: Partial<TokenUsageBreakdown>): void {
    this.live();
    this.usageSent = true;
    this.emit(tokenUsageUpdated({ threadId: this.threadId, turnId: this.turnId, total, last }));
  }

  // ---- raw ----------------------------------------------------------------------------------------

  /** Sends frames (or raw lines) exactly as given; the turn's state follows what they say (response, started, items, completed). */
  send(...frames: InboundValue[]): void {
    for (const f of frames) this.emit(f);
  }

  /** Sends frames (or raw lines) as ONE chunk of the stream, newline-separated, as if read in one go. */
  sendChunk(frames: InboundValue[]): void {
    for (const f of frames) this.observe(f);
    void this.host.deliverChunk(frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n') + '\n');
  }

  /**
   * Sends raw text or bytes as they are, no newline added (a frame cut inside a UTF-8 character, a
   * huge line in pieces); the turn's state does not follow them. Resolves when the stream took them.
   */
  sendRaw(chunk: string | Uint8Array): Promise<void> {
    this.live();
    return this.host.deliverChunk(chunk);
  }

  /** Records an item in the turn as `thread/read` shows it, sending nothing (a server that lost the item's notifications). */
  remember(item: ThreadItem): void {
    const at = this.record.items.findIndex((i) => i.id === item.id);
    if (at >= 0) this.record.items[at] = item;
    else this.record.items.push(item);
  }

  // ---- for the server -----------------------------------------------------------------------------

  /** @internal Runs the script: opens the turn after its synchronous part, completes it when it returns. */
  run(script: (turn: this) => unknown, reportError: (err: unknown) => void): void {
    const failed = (err: unknown) => {
      if (err instanceof FakeTurnEndedError) return;
      reportError(err);
      this.fail(`FakeAppServer: the turn script threw: ${err instanceof Error ? err.message : String(err)}`);
    };
    let done: unknown;
    try {
      done = script(this);
    } catch (err) {
      return failed(err);
    }
    if (!this.held) this.open();
    Promise.resolve(done).then(() => (this.keptOpen ? undefined : this.complete()), failed);
  }

  /** @internal The connection ended: pending waits and requests reject. */
  abandon(): void {
    this.abort(new FakeTurnEndedError(this.turnId, 'closed'));
  }

  /** Opens the turn; throws `FakeTurnEndedError` once it ended (helpers stop the script that way). */
  protected live(): void {
    if (this.ended) throw new FakeTurnEndedError(this.turnId, this.record.status);
    this.open();
  }

  private end(status: TurnStatus, error: TurnError | null, notify: boolean): void {
    this.respond();
    this.markEnded(status, error);
    const reason = new FakeTurnEndedError(this.turnId, status);
    for (const id of this.pending) this.host.drop(id, reason);
    if (this.host.routine.threadStatus) this.emit(threadStatusChanged({ threadId: this.threadId, status: 'idle' }));
    if (notify) this.emit(turnCompleted({ threadId: this.threadId, turnId: this.turnId, status: status as 'completed', error }));
    if (status === 'interrupted') this.abort(reason);
  }

  private markEnded(status: TurnStatus, error: TurnError | null): void {
    this.ended = true;
    this.record.status = status;
    this.record.error = error;
    this.record.completedAt = Math.max(this.record.startedAt, Math.floor(frameNow() / 1000));
    this.host.turnEnded(this.threadId, this.turnId);
  }

  /** A Promise that rejects with `FakeTurnEndedError` when the turn is interrupted or the connection ends. */
  protected abortable<T>(start: (resolve: (value: T) => void) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.ended && this.record.status === 'interrupted') return reject(new FakeTurnEndedError(this.turnId, 'interrupted'));
      let stop = () => {};
      const abort = (err: Error) => {
        stop();
        reject(err);
      };
      this.aborts.add(abort);
      stop = start((value) => {
        this.aborts.delete(abort);
        resolve(value);
      });
    });
  }

  private abort(err: Error): void {
    for (const abort of [...this.aborts]) abort(err);
    this.aborts.clear();
  }

  /** Delivers a frame of the turn to the client, in order, and updates the turn's state by it. */
  protected emit(value: InboundValue): void {
    this.observe(value);
    this.host.deliver(value);
  }

  /** Keeps the turn's state in line with a frame it sends, whoever built it (a raw line too, when it is JSON). */
  private observe(value: InboundValue): void {
    if (typeof value === 'string') value = parseOrNull(value) ?? '';
    if (typeof value !== 'object' || value === null) return;
    const frame = value as { id?: unknown; method?: unknown; params?: Record<string, any> };
    if (frame.method === undefined && frame.id === this.requestId) this.responded = true;
    const p = frame.params;
    if (!p || p.threadId !== this.threadId || (p.turnId ?? p.turn?.id) !== this.turnId) return;
    if (frame.method === 'turn/started') this.started = true;
    else if (frame.method === 'item/completed' && p.item && typeof p.item.id === 'string') this.remember(p.item);
    else if (frame.method === 'turn/completed' && !this.ended) {
      this.markEnded(p.turn?.status ?? 'completed', p.turn?.error ?? null);
    }
  }
}

function parseOrNull(line: string): object | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}
