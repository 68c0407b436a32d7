import { distinctUntilChanged, OperatorFunction, scan } from 'rxjs';
import type { JsonRpcMessage } from '../protocol/messages';
import { reduceThreadView } from '../view/reduce-thread-view';
import { emptyThreadView, ThreadView } from '../view/thread-view';

/**
 * Frames → the views of one thread (`reduceThreadView` as an operator): a new view per frame that
 * changed it, nothing for the others. `seed` is where it starts (default: nothing known), e.g. a view
 * reconciled with the stored turns. `client.threadView$` does the seeding and reconnects for you.
 */
export function toThreadView(threadId: string, seed: ThreadView = emptyThreadView(threadId)): OperatorFunction<JsonRpcMessage, ThreadView> {
  return (frames$) => frames$.pipe(scan(reduceThreadView, seed), distinctUntilChanged());
}
