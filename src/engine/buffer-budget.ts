import { isTextDelta } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';

/** Frames held against the budget, each with the bytes it was charged (`sizes[i]` for `frames[i]`). */
export interface ChargedFrames {
  frames: JsonRpcMessage[];
  sizes: number[];
}

/**
 * What a holder's `shedDeltas` keeps of `held`: its frames less the text deltas, and the bytes
 * those were charged. `dropped` is told of each delta let go.
 */
export function withoutTextDeltas(held: ChargedFrames, dropped: (frame: JsonRpcMessage) => void): ChargedFrames & { freed: number } {
  let freed = 0;
  const frames: JsonRpcMessage[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < held.frames.length; i++) {
    const frame = held.frames[i]!;
    if (isTextDelta((frame as { method?: string }).method ?? '')) {
      freed += held.sizes[i]!;
      dropped(frame);
    } else {
      frames.push(frame);
      sizes.push(held.sizes[i]!);
    }
  }
  return { frames, sizes, freed };
}

/** The bytes of `sizes` together. */
export function totalBytes(sizes: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return total;
}

/** Something that holds buffered frames against the budget, and can let go of its deltas. */
export interface BudgetHolder {
  /** Drops the text deltas it holds; returns the bytes freed. */
  shedDeltas(): number;
}

/**
 * One byte budget for every event the client buffers while nobody listens (turns suspended after
 * an inactivity timeout). Deltas go first: a delta that does not fit is not held, and to make room
 * for anything else the held deltas are dropped, the asking turn's first, then the other turns'
 * (oldest first). The completed items carry the whole text, so only the live streaming is lost,
 * and the turn's result says how many deltas were dropped.
 */
export class BufferBudget {
  private used = 0;
  /** Holders with bytes held, oldest first. */
  private readonly holders = new Map<BudgetHolder, number>();

  constructor(readonly limitBytes: number) {}

  /** Bytes held now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` for `holder` if they fit (making room as above); false when they cannot. */
  reserve(holder: BudgetHolder, bytes: number, isDelta: boolean): boolean {
    if (this.used + bytes > this.limitBytes) {
      if (isDelta) return false;
      this.makeRoom(holder, bytes);
      if (this.used + bytes > this.limitBytes) return false;
    }
    this.used += bytes;
    this.holders.set(holder, (this.holders.get(holder) ?? 0) + bytes);
    return true;
  }

  /** `holder` let go of `bytes`. */
  free(holder: BudgetHolder, bytes: number): void {
    const held = this.holders.get(holder);
    if (held === undefined) return;
    const freed = Math.min(held, bytes);
    this.used -= freed;
    if (held - freed > 0) this.holders.set(holder, held - freed);
    else this.holders.delete(holder);
  }

  private makeRoom(asking: BudgetHolder, bytes: number): void {
    const order = [asking, ...[...this.holders.keys()].filter((h) => h !== asking)];
    for (const holder of order) {
      if (this.used + bytes <= this.limitBytes) return;
      this.free(holder, holder.shedDeltas());
    }
  }
}
