import type { OperatorFunction } from 'rxjs';
import type { JsonRpcMessage } from '../protocol/messages';
import type { ServerMethod, ServerMethodParams } from '../protocol/server-messages';
import { operate, operatorObserver } from './util/operate';

/**
 * The params of every frame of `method` (NgRx `ofType` style): a notification method of the pinned
 * protocol (`client.notifications$.pipe(ofMethod('turn/plan/updated'))` emits
 * `TurnPlanUpdatedNotification`s), or a server request method
 * (`client.serverRequests$.pipe(ofMethod('item/commandExecution/requestApproval'))`). A method the
 * pinned protocol lacks is a compile error. Works on any frame stream (`frames$` too); other frames
 * are dropped. The params are passed on as the server sent them: typed, not decoded.
 */
export function ofMethod<M extends ServerMethod>(method: M): OperatorFunction<JsonRpcMessage, ServerMethodParams<M>> {
  return operate((source, subscriber) =>
    source.subscribe(
      operatorObserver<JsonRpcMessage>(subscriber, (frame) => {
        if ((frame as { method?: unknown }).method === method)
          subscriber.next((frame as { params?: unknown }).params as ServerMethodParams<M>);
      }),
    ),
  );
}
