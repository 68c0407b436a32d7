import { filter, MonoTypeOperatorFunction } from 'rxjs';
import { threadIdOf, turnIdOf } from '../protocol/items';
import type { JsonRpcMessage } from '../protocol/messages';

/**
 * Only the frames of one turn: notifications and server requests whose `threadId` and turn id
 * (`turnId`, or `turn.id` on `turn/started`/`turn/completed`) match.
 */
export function forTurn<T extends JsonRpcMessage>(threadId: string, turnId: string): MonoTypeOperatorFunction<T> {
  return filter((frame) => turnIdOf(frame) === turnId && threadIdOf(frame) === threadId);
}
