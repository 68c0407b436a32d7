/** The `for await` views of a turn (`chatIterable`, `chatEventsIterable`) on the client and on thread handles. */
import type { Observable } from 'rxjs';
import type { ConversationStep, TurnEvent } from './models';
import { coalesceTurnEvents } from './operators/coalesce-turn-events';
import { eachValue } from './operators/each-value';
import type { IterationOptions } from './options';

/** What the views need of the chat's options. */
type Iterated = IterationOptions & { signal?: AbortSignal };
type ChatOf<O, T> = (options: Omit<O, keyof IterationOptions>) => Observable<T>;

/**
 * The steps of the turn `chat` opens, for `for await`, buffered as `options` say. An abort of the
 * chat's signal ends the loop at once (the steps held are dropped).
 */
export function stepsIterable<O extends Iterated>(chat: ChatOf<O, ConversationStep>, options: O): AsyncIterable<ConversationStep> {
  const { bufferSize, bufferBytes, overflow, ...rest } = options;
  return eachValue(chat(rest), { bufferSize, bufferBytes, overflow, signal: options.signal });
}

/** The events of the turn `chatEvents` opens, for `for await`: while the loop is behind, deltas of one item merge. */
export function eventsIterable<O extends Iterated>(chatEvents: ChatOf<O, TurnEvent>, options: O): AsyncIterable<TurnEvent> {
  const { bufferSize, bufferBytes, overflow, ...rest } = options;
  return eachValue(chatEvents(rest), { bufferSize, bufferBytes, overflow, coalesce: coalesceTurnEvents, signal: options.signal });
}
