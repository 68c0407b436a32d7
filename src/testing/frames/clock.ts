/**
 * The clock of the frame builders: a constant by default, so that frames built at different moments
 * compare equal in `toEqual`/marble assertions; `setFrameClock(Date.now)` (or a test scheduler's
 * `now`) makes them live.
 */
/** The default frame time: 2025-01-01T00:00:00Z. */
export const DEFAULT_FRAME_TIME_MS = 1_735_689_600_000;

let clock: () => number = () => DEFAULT_FRAME_TIME_MS;

/** Sets the clock of `emittedAtMs`/`startedAtMs`/`completedAtMs`; `null` restores the constant default. */
export function setFrameClock(now: (() => number) | null): void {
  clock = now ?? (() => DEFAULT_FRAME_TIME_MS);
}

/** The current frame time (for the builders; not part of the public API). */
export const frameNow = (): number => clock();
