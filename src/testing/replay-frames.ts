import { asyncScheduler, from, map, mergeMap, Observable, SchedulerLike, timer } from 'rxjs';
import type { JsonRpcMessage } from '../protocol/messages';
import type { FrameDirection, Recording } from './recording';

/** Options of `replayFrames`. */
export interface ReplayFramesOptions {
  /** Which frames: the server's (`in`, default) or the client's (`out`). */
  dir?: FrameDirection;
  /** The clock (default `asyncScheduler`; inside `TestScheduler.run` the virtual one). */
  scheduler?: SchedulerLike;
}

/**
 * A recording's frames of one direction as a cold Observable, each at its recorded time: inside
 * `TestScheduler.run` they arrive in virtual time, for marble tests of operators over a recorded
 * real session (`replayFrames(recording).pipe(toSteps())`). Completes after the last frame.
 */
export function replayFrames(recording: Recording, options: ReplayFramesOptions = {}): Observable<JsonRpcMessage> {
  const dir = options.dir ?? 'in';
  const scheduler = options.scheduler ?? asyncScheduler;
  // Equal times keep the recorded order: each scheduler runs same-time actions first-in first-out.
  return from(recording.frames.filter((f) => f.dir === dir)).pipe(mergeMap((f) => timer(f.atMs, scheduler).pipe(map(() => f.frame))));
}
