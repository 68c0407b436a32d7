import { asyncScheduler, SchedulerLike, Subject, Subscription } from 'rxjs';
import { DEFAULTS } from '../defaults';
import { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';
import { HotSource } from './hot-source';
import type { LinkEvent } from './transport';

/** What one link (a server process, a WebSocket) reports to its transport. */
export interface LinkEvents {
  message(value: unknown): void;
  diagnostic(diagnostic: Diagnostic): void;
  /**
   * Called once when the link is gone: `null` after the transport ended it, else why (`exited`,
   * `disconnected`, `unresponsive`).
   */
  end(error: CodexTransportError | null): void;
}

/** A link being opened (a spawn, a dial): `started` settles once; `abort()` (the transport closing) ends it at once. */
export interface Opening<L> {
  readonly started: Promise<L>;
  /** Before `started` resolved: it rejects (`closed`) and what was begun ends. After: nothing. */
  abort(): void | Promise<void>;
}

/** The clock and byte bounds of a transport's links, as its options give them. */
export interface LinkBoundOptions {
  connectTimeoutMs?: number;
  scheduler?: SchedulerLike;
  maxFrameBytes?: number;
  writeStallTimeoutMs?: number | null;
}

/** `LinkBoundOptions` resolved (with `DEFAULTS`), and the outbound queue's bound. */
export interface LinkBounds {
  readonly scheduler: SchedulerLike;
  readonly connectTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly writeStallTimeoutMs: number | null;
  readonly maxQueuedBytes: number;
}

/** Resolves a transport's clock and byte bounds the same way for every transport. */
export function linkBounds(options: LinkBoundOptions): LinkBounds {
  return {
    scheduler: options.scheduler ?? asyncScheduler,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
    writeStallTimeoutMs: options.writeStallTimeoutMs === undefined ? DEFAULTS.writeStallTimeoutMs : options.writeStallTimeoutMs,
    maxQueuedBytes: DEFAULTS.maxQueuedBytes,
  };
}

/**
 * A period option (`heartbeatMs`): `undefined` is `fallback`; off is `null`. `0` (or less), the
 * old spelling of off on the relay, still means off (deprecated; a period of 0 means nothing else).
 */
export function periodOf(value: number | null | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  return value === null || value <= 0 ? null : value;
}

/**
 * The lifecycle every transport shares, held by each (composed, so that the transports' public
 * surface stays their own): `start()` once (rejected after `close()` began), the hot `messages$`
 * and `diagnostics$`, and one end (`finish`) that errors or completes them.
 */
export class TransportLifecycle {
  readonly messages = new HotSource<unknown>();
  readonly diagnostics = new Subject<Diagnostic>();
  startPromise: Promise<void> | null = null;
  /** `close()` began. */
  closing = false;
  /** `finish` ran: the transport is over. */
  finished = false;

  /** `closedMessage`: what `start()` after `close()` says. */
  constructor(private readonly closedMessage: () => string) {}

  /** Runs `open` once (later calls get the same promise); rejects with code `closed` once `close()` began first. */
  start(open: () => Promise<void>): Promise<void> {
    if (this.closing && !this.startPromise) return Promise.reject(new CodexTransportError(this.closedMessage(), { code: 'closed' }));
    return (this.startPromise ??= open());
  }

  /** The transport is over: `messages$` errors with `err` (or completes, `null`). Once; later calls do nothing. */
  finish(err: CodexTransportError | null): void {
    if (this.finished) return;
    this.finished = true;
    if (err) this.messages.error(err);
    else this.messages.complete();
    this.diagnostics.complete();
  }
}

/**
 * The lifecycle of a transport over links it opens one at a time and may open again (a server
 * process, a WebSocket): which link is current, the one being opened (for `close()` to abort), the
 * wait before the next attempt, and `links$`.
 */
export class LinkLifecycle<L> extends TransportLifecycle {
  readonly links = new Subject<LinkEvent>();
  /** The current link. */
  link: L | null = null;
  /** The link being opened (the first, or a later one), aborted by `close()`. */
  opening: Opening<L> | null = null;
  /** The wait before the next attempt, while it runs. */
  retrying: Subscription | null = null;

  /**
   * Opens a link through `open`, which reports to this transport; only the current link's end
   * reaches `ended` (one replaced or never taken is ignored).
   */
  openLink(open: (events: LinkEvents) => Opening<L>, ended: (err: CodexTransportError | null) => void): Promise<L> {
    let mine: L | null = null;
    const opening = open({
      message: (value) => this.messages.next(value),
      diagnostic: (d) => this.diagnostics.next(d),
      end: (err) => {
        if (mine === this.link) ended(err);
      },
    });
    this.opening = opening;
    const settled = () => {
      if (this.opening === opening) this.opening = null;
    };
    return opening.started.then(
      (link) => {
        settled();
        return (mine = link);
      },
      (err: unknown) => {
        settled();
        throw err;
      },
    );
  }

  override finish(err: CodexTransportError | null): void {
    if (this.finished) return;
    this.retrying?.unsubscribe();
    super.finish(err);
    this.links.complete();
  }
}
