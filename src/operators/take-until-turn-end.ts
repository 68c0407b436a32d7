import type { OperatorFunction } from 'rxjs';
import { CodexProtocolError } from '../errors';
import { isTurnCompletedParams } from '../protocol/codecs';
import type { JsonRpcMessage } from '../protocol/messages';
import { operate, operatorObserver } from './util/operate';

/** Configuration of `takeUntilTurnEnd()`. */
export interface TakeUntilTurnEndConfig {
  /**
   * A `turn/completed` whose turn does not decode (no `status`, say): `'error'` (default) errors
   * with `CodexProtocolError`; `'complete'` ends the turn as completed (the client's non-strict mode,
   * which reports the frame as a diagnostic instead).
   */
  malformed?: 'error' | 'complete';
}

/**
 * Passes frames through the turn's `turn/completed` (inclusive), then completes. A turn that ended
 * `failed` or `interrupted` errors with `CodexProtocolError` instead (message from the turn's error,
 * `data` = the turn). Apply after `forTurn` (or to one turn's frames): the first `turn/completed` ends it.
 */
export function takeUntilTurnEnd<T extends JsonRpcMessage>(config: TakeUntilTurnEndConfig = {}): OperatorFunction<T, T> {
  const lenient = config.malformed === 'complete';
  return operate((source, subscriber) =>
    source.subscribe(
      operatorObserver<T>(subscriber, (frame) => {
        if ((frame as { method?: string }).method !== 'turn/completed') {
          subscriber.next(frame);
          return;
        }
        const failure = turnFailure(frame, lenient);
        if (failure) subscriber.error(failure);
        else {
          subscriber.next(frame);
          subscriber.complete();
        }
      }),
    ),
  );
}

/** The error a `turn/completed` frame stands for, or null when the turn completed (or, `lenient`, is malformed). */
export function turnFailure(frame: JsonRpcMessage, lenient = false): CodexProtocolError | null {
  const params = (frame as { params?: unknown }).params;
  if (!isTurnCompletedParams(params)) {
    return lenient ? null : new CodexProtocolError('malformed turn/completed notification', { data: params });
  }
  const turn = params.turn;
  if (turn.status === 'completed') return null;
  const message = turn.error?.message ?? (turn.status === 'interrupted' ? 'turn interrupted' : `turn ${turn.status}`);
  return new CodexProtocolError(message, { data: turn });
}
