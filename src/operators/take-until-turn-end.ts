import type { OperatorFunction } from 'rxjs';
import { CodexProtocolError } from '../errors';
import { TurnCompletedParamsCodec } from '../protocol/codecs';
import type { JsonRpcMessage } from '../protocol/messages';
import { operate, operatorObserver } from './util/operate';

/**
 * Passes frames through the turn's `turn/completed` (inclusive), then completes. A turn that ended
 * `failed` or `interrupted` errors with `CodexProtocolError` instead (message from the turn's error,
 * `data` = the turn). Apply after `forTurn` (or to one turn's frames): the first `turn/completed` ends it.
 */
export function takeUntilTurnEnd<T extends JsonRpcMessage>(): OperatorFunction<T, T> {
  return operate((source, subscriber) =>
    source.subscribe(
      operatorObserver<T>(subscriber, (frame) => {
        if ((frame as { method?: string }).method !== 'turn/completed') {
          subscriber.next(frame);
          return;
        }
        const failure = turnFailure(frame);
        if (failure) subscriber.error(failure);
        else {
          subscriber.next(frame);
          subscriber.complete();
        }
      }),
    ),
  );
}

/** The error a `turn/completed` frame stands for, or null when the turn completed. */
export function turnFailure(frame: JsonRpcMessage): CodexProtocolError | null {
  const params = (frame as { params?: unknown }).params;
  if (!TurnCompletedParamsCodec.is(params)) {
    return new CodexProtocolError('malformed turn/completed notification', { data: params });
  }
  const turn = params.turn;
  if (turn.status === 'completed') return null;
  const message = turn.error?.message ?? (turn.status === 'interrupted' ? 'turn interrupted' : `turn ${turn.status}`);
  return new CodexProtocolError(message, { data: turn });
}
