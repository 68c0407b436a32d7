import { approximateBytes } from '../protocol/describe';
import { isTextDelta } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';
import { type BudgetHolder, type BufferBudget, totalBytes, withoutTextDeltas } from './buffer-budget';

/**
 * The events of one turn held while nobody listens, numbered by the turn's event cursor (`start`
 * is the cursor of the first one held). Bounded by a count (`maxEvents`) and by the client's
 * byte budget; past either, later events are counted as dropped (`overflow`) and nothing more is
 * held, so the turn can no longer be resumed without a gap.
 */
export class SessionBuffer implements BudgetHolder {
  /** Cursor of `frames[0]`. */
  start = 0;
  /** Events dropped past the limits (null: none): the turn cannot be resumed without a gap. */
  overflow: number | null = null;
  /** Which limit was passed first. */
  overflowedBy: 'maxBufferedEvents' | 'maxBufferedBytes' | null = null;
  /** Text deltas dropped to stay within the byte budget (their text is in the completed items). */
  droppedDeltas = 0;
  private frames: JsonRpcMessage[] = [];
  private sizes: number[] = [];

  constructor(
    private readonly budget: BufferBudget,
    private readonly maxEvents: number,
  ) {}

  get length(): number {
    return this.frames.length;
  }

  /** Holds one more event, within the limits. */
  hold(frame: JsonRpcMessage): void {
    if (this.overflow !== null || this.frames.length >= this.maxEvents) {
      this.dropAll('maxBufferedEvents');
      return;
    }
    const method = (frame as { method?: string }).method ?? '';
    const isDelta = isTextDelta(method);
    const bytes = approximateBytes(frame);
    if (!this.budget.reserve(this, bytes, isDelta)) {
      if (isDelta) this.droppedDeltas++;
      else this.dropAll('maxBufferedBytes');
      return;
    }
    this.frames.push(frame);
    this.sizes.push(bytes);
  }

  /** The events from `cursor` on (a copy). */
  from(cursor: number): JsonRpcMessage[] {
    return this.frames.slice(Math.max(0, cursor - this.start));
  }

  /** Lets go of everything held; the next event held is number `cursor`. */
  reset(cursor: number): void {
    this.start = cursor;
    // Nothing held (a consumer attached and detached): nothing to free, nothing to allocate.
    if (this.frames.length === 0) return;
    this.budget.free(this, totalBytes(this.sizes));
    this.frames = [];
    this.sizes = [];
  }

  shedDeltas(): number {
    const { frames, sizes, freed } = withoutTextDeltas({ frames: this.frames, sizes: this.sizes }, () => this.droppedDeltas++);
    this.frames = frames;
    this.sizes = sizes;
    return freed;
  }

  /** Past a limit: count this event as dropped and hold nothing more (no resume could close the gap). */
  private dropAll(limit: 'maxBufferedEvents' | 'maxBufferedBytes'): void {
    this.overflowedBy ??= limit;
    this.overflow = (this.overflow ?? 0) + 1;
    if (this.frames.length) this.reset(this.start);
  }
}
