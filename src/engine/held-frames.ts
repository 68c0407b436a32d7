import { approximateBytes } from '../protocol/describe';
import { isTextDelta, turnIdOf } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';
import { type BudgetHolder, type BufferBudget, totalBytes, withoutTextDeltas } from './buffer-budget';

/** What was lost of one turn's frames while they were held. */
export interface HeldLoss {
  /** Text deltas dropped to stay within the byte budget (their text is in the completed items). */
  readonly droppedDeltas: number;
  /** Other frames dropped: the turn has a gap. */
  readonly droppedEvents: number;
}

const NO_LOSS: HeldLoss = { droppedDeltas: 0, droppedEvents: 0 };
const NO_FRAMES: readonly JsonRpcMessage[] = [];
/** Turns whose losses are tallied at most (frames of a thousand unknown turns are a hostile server's). */
const MAX_TALLIED = 1_000;

/**
 * The frames of one thread held while a turn/start is in flight there (their turn id is not known
 * to be ours yet), charged to the client's byte budget like any buffered event: a server that
 * floods the thread before answering turn/start cannot make the client hold more than
 * `maxBufferedBytes`. Deltas that do not fit are dropped and counted; other frames that do not fit
 * are dropped and make the turn fail when it binds (it would have a gap).
 */
export class HeldFrames implements BudgetHolder {
  /** turn/starts in flight on the thread. */
  count = 1;
  private frames: JsonRpcMessage[] = [];
  private sizes: number[] = [];
  /** Made on the first loss (one of these per turn/start in flight: most never lose anything). */
  private losses: Map<string, { droppedDeltas: number; droppedEvents: number }> | null = null;

  constructor(private readonly budget: BufferBudget) {}

  hold(frame: JsonRpcMessage, turnId: string): void {
    const isDelta = isTextDelta((frame as { method?: string }).method ?? '');
    const bytes = approximateBytes(frame);
    if (this.budget.reserve(this, bytes, isDelta)) {
      this.frames.push(frame);
      this.sizes.push(bytes);
    } else {
      this.lose(turnId, isDelta ? 1 : 0, isDelta ? 0 : 1);
    }
  }

  /** Hands over (and stops charging) the frames of `turnId`, with what was lost of them. */
  take(turnId: string): { frames: readonly JsonRpcMessage[]; loss: HeldLoss } {
    const loss = this.losses?.get(turnId) ?? NO_LOSS;
    this.losses?.delete(turnId);
    if (this.frames.length === 0) return { frames: NO_FRAMES, loss };
    if (allOfTurn(this.frames, turnId)) {
      // The usual case (one turn/start in flight): all of it, without sorting.
      const all = this.frames;
      this.budget.free(this, totalBytes(this.sizes));
      this.frames = [];
      this.sizes = [];
      return { frames: all, loss };
    }
    const mine: JsonRpcMessage[] = [];
    const rest: JsonRpcMessage[] = [];
    const restSizes: number[] = [];
    let freed = 0;
    for (let i = 0; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (turnIdOf(frame) === turnId) {
        mine.push(frame);
        freed += this.sizes[i]!;
      } else {
        rest.push(frame);
        restSizes.push(this.sizes[i]!);
      }
    }
    this.frames = rest;
    this.sizes = restSizes;
    this.budget.free(this, freed);
    return { frames: mine, loss };
  }

  /** Hands over (and stops charging) every frame held so far, whatever its turn, in order. */
  takeAll(): JsonRpcMessage[] {
    const all = this.frames;
    if (all.length) this.budget.free(this, totalBytes(this.sizes));
    this.frames = [];
    this.sizes = [];
    return all;
  }

  /** Lets go of everything (no turn/start is in flight on the thread any more). */
  clear(): void {
    if (this.frames.length) {
      this.budget.free(this, totalBytes(this.sizes));
      this.frames = [];
      this.sizes = [];
    }
    this.losses = null;
  }

  shedDeltas(): number {
    const { frames, sizes, freed } = withoutTextDeltas({ frames: this.frames, sizes: this.sizes }, (frame) =>
      this.lose(turnIdOf(frame) ?? '', 1, 0),
    );
    this.frames = frames;
    this.sizes = sizes;
    return freed;
  }

  private lose(turnId: string, deltas: number, events: number): void {
    const losses = (this.losses ??= new Map());
    const known = losses.get(turnId);
    if (!known && losses.size >= MAX_TALLIED) return;
    const loss = known ?? { droppedDeltas: 0, droppedEvents: 0 };
    loss.droppedDeltas += deltas;
    loss.droppedEvents += events;
    losses.set(turnId, loss);
  }
}

function allOfTurn(frames: readonly JsonRpcMessage[], turnId: string): boolean {
  for (let i = 0; i < frames.length; i++) if (turnIdOf(frames[i]!) !== turnId) return false;
  return true;
}
