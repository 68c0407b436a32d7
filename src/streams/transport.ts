import type { Observable } from 'rxjs';
import type { Diagnostic } from '../models';

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
}
