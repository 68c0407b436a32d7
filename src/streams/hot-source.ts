import { Observable, type Subscriber } from 'rxjs';

/**
 * The hot end of a transport's `messages$`: a `Subject` for one job, multicasting inbound values
 * to whoever subscribed, with what a `Subject` costs per value left out. RxJS's CommonJS build is
 * ES5, where `Subject.next` allocates an iterator and a closure for every value: at a hundred
 * thousand frames a second that garbage showed in every benchmark. Same contract otherwise: values
 * go to the current subscribers in subscription order; after `error`/`complete` every subscriber,
 * later ones too, gets that end; a subscriber that leaves during a `next` gets no more values.
 */
export class HotSource<T> {
  /** Replaced (never mutated) on subscribe and unsubscribe, so a `next` in progress is unaffected. */
  private subscribers: ReadonlyArray<Subscriber<T>> = [];
  private end: { readonly error: unknown; readonly failed: boolean } | null = null;

  readonly observable: Observable<T> = new Observable<T>((subscriber) => {
    if (this.end) {
      if (this.end.failed) subscriber.error(this.end.error);
      else subscriber.complete();
      return undefined;
    }
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  });

  /** True while someone is subscribed. */
  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  next(value: T): void {
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
  }

  error(err: unknown): void {
    this.finish({ error: err, failed: true });
  }

  complete(): void {
    this.finish({ error: undefined, failed: false });
  }

  private finish(end: { readonly error: unknown; readonly failed: boolean }): void {
    if (this.end) return;
    this.end = end;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const s of subscribers) {
      if (end.failed) s.error(end.error);
      else s.complete();
    }
  }
}
