import type { OperatorFunction } from 'rxjs';
import { CodexProtocolError } from '../errors';
import type { JsonRpcId, JsonRpcMessage } from '../protocol/messages';
import { operate, operatorObserver } from './util/operate';

/**
 * The result of request `id`: emits it once and completes when the response arrives; errors with
 * `CodexProtocolError` (code and data from the server) on an error response. Other frames, and
 * requests from the server that share the id, are ignored.
 */
export function responseTo<T = unknown>(id: JsonRpcId): OperatorFunction<JsonRpcMessage, T> {
  return operate((source, subscriber) =>
    source.subscribe(
      operatorObserver<JsonRpcMessage>(subscriber, (frame) => {
        if ('method' in frame || (frame as { id?: unknown }).id !== id) return;
        if ('error' in frame) {
          const e = frame.error;
          subscriber.error(new CodexProtocolError(`${e.message} (code ${e.code})`, { code: e.code, data: e.data }));
        } else {
          subscriber.next((frame as { result: T }).result);
          subscriber.complete();
        }
      }),
    ),
  );
}
