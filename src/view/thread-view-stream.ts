import { Observable, Subscription } from 'rxjs';
import type { JsonRpcMessage } from '../protocol/messages';
import { reconcileThreadView } from './reconcile-thread-view';
import { reduceThreadView } from './reduce-thread-view';
import { readStoredThread, ViewRequest } from './stored-thread';
import { emptyThreadView, ThreadView } from './thread-view';

/** What a thread view needs from a client. */
export interface ThreadViewSource {
  /** Every inbound frame (hot). */
  readonly frames$: Observable<JsonRpcMessage>;
  /** The connection's state: a `connected` after `reconnecting` means frames may have been missed. */
  readonly connectionState$: Observable<string>;
  readonly request: ViewRequest;
}

/** Frames after which the stored turns are read again: the history changed under the view. */
const RESEED = new Set(['thread/reverted', 'thread/compacted']);

/**
 * The live view of one thread: seeded from its stored turns, then kept by its frames (held while a
 * read is in flight, applied after it), and read again after a reconnect or a revert and
 * reconciled. Cold: each subscriber gets its own; emits the seeded view first, then each change.
 */
export function threadView$(threadId: string, source: ThreadViewSource): Observable<ThreadView> {
  return new Observable<ThreadView>((subscriber) => {
    let view = emptyThreadView(threadId);
    let seeded = false;
    /** Frames that came while a read was in flight; null when none is. */
    let held: JsonRpcMessage[] | null = [];
    let reads = 0;
    const subscription = new Subscription();

    const seed = () => {
      const read = ++reads;
      held ??= [];
      readStoredThread(source.request, threadId).then(
        (stored) => {
          // A later read supersedes this one; an unsubscribed view wants none.
          if (read !== reads || subscriber.closed) return;
          let next = reconcileThreadView(view, stored);
          for (const frame of held ?? []) next = reduceThreadView(next, frame);
          held = null;
          if (next !== view || !seeded) {
            seeded = true;
            view = next;
            subscriber.next(view);
          }
        },
        (err: unknown) => {
          if (read !== reads || subscriber.closed) return;
          // A thread that cannot be read at all fails the view; a failed read again (after a
          // reconnect) leaves it live on the frames, to be read at the next occasion.
          if (!seeded) return subscriber.error(err);
          let next = view;
          for (const frame of held ?? []) next = reduceThreadView(next, frame);
          held = null;
          if (next !== view) subscriber.next((view = next));
        },
      );
    };

    subscription.add(
      source.frames$.subscribe({
        next: (frame) => {
          if ((frame as { params?: { threadId?: unknown } }).params?.threadId !== threadId) return;
          if (held) {
            held.push(frame);
            return;
          }
          const next = reduceThreadView(view, frame);
          if (next !== view) {
            view = next;
            subscriber.next(view);
          }
          if ('method' in frame && RESEED.has(frame.method)) seed();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
    let reconnecting = false;
    subscription.add(
      source.connectionState$.subscribe((state) => {
        if (state === 'reconnecting') reconnecting = true;
        else if (state === 'connected' && reconnecting) {
          reconnecting = false;
          // The server keeps server requests per connection: the old link's are gone (a request
          // still pending is asked again on the new one).
          if (view.pendingApprovals.length > 0 && seeded) {
            view = { ...view, pendingApprovals: [] };
            subscriber.next(view);
          }
          seed();
        }
      }),
    );
    seed();
    return subscription;
  });
}
