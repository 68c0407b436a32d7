import type { Observable } from 'rxjs';
import type { CodexTransportError } from '../errors';
import type { Diagnostic } from '../models';

/**
 * The life of a link under a transport that re-establishes it (WebSocket reconnect, stdio
 * restart): `down` when it dropped (and the transport will try again), `retrying` before each
 * attempt, `up` when a new link is there (a new connection or process: nothing of the old one's
 * session survives on it until the client has initialized again).
 */
export type LinkEvent =
  | {
      /** The link dropped; the transport will try again. */
      readonly type: 'down';
      /** Why it dropped. */
      readonly error: CodexTransportError;
      /** The same server runs on (a reconnect): its running turns can be resumed. False for a new process. */
      readonly resumable: boolean;
    }
  | {
      /** An attempt to re-establish the link is due. */
      readonly type: 'retrying';
      /** The attempt's number, from 1 (stdio: the restarts within `windowMs` so far). */
      readonly attempt: number;
      /** The wait before this attempt, in milliseconds. */
      readonly delayMs: number;
    }
  | {
      /** A new link is there: a new connection or process. */
      readonly type: 'up';
    };

/** A sent text that may still be waiting to go out. */
export interface OutboundHandle {
  /** Takes the text back if it has not gone out yet; true when it was taken back. */
  cancel(): boolean;
}

/**
 * A byte-agnostic message channel to an app-server. Implementations exist for stdio and WebSocket
 * (Node only); a browser app supplies its own (e.g. over its backend), and `codex-rx/testing` has an
 * in-memory one. The client never assumes more than this interface.
 */
export interface Transport {
  /**
   * Inbound messages, each a parsed JSON value (or an `InvalidLine` for a line that is not JSON).
   * Hot: values flow from `start()` on, whether or not anyone listens. Completes when the peer
   * closes cleanly after `close()`; errors with `CodexTransportError` when the peer goes away
   * unexpectedly (the error names the exit code or close reason).
   */
  readonly messages$: Observable<unknown>;
  /** Out-of-band information: stderr lines, undecodable input. Never errors. */
  readonly diagnostics$: Observable<Diagnostic>;
  /** Connects (spawns, dials). Rejects with `CodexTransportError` when that fails. */
  start(): Promise<void>;
  /**
   * Sends one JSON text (no trailing newline). Throws `CodexTransportError` when not connected.
   * May return a handle that takes the text back while it still waits to go out (a request that
   * timed out then never reaches the server late).
   */
  send(message: string): OutboundHandle | void;
  /** Disconnects and releases every resource. Idempotent; resolves when the peer is gone. */
  close(): Promise<void>;
  /**
   * Only for transports that survive a dropped link (reconnect, restart): its `down`, `retrying`
   * and `up`. `messages$` then spans the links and errors only when the transport gives up.
   */
  readonly links$?: Observable<LinkEvent>;
  /** Only for transports that re-establish a link when it is next needed (stdio restart): do it now. */
  relink?(): void;
}
