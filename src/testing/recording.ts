import { Observable, Subscription } from 'rxjs';
import type { JsonRpcMessage } from '../protocol/messages';
import { parseServerVersion } from '../protocol/server-version';
import { scrubSecrets } from '../streams/scrub-secrets';

/** Which way a recorded frame went: `in` from the server, `out` from the client. */
export type FrameDirection = 'in' | 'out';

/** One frame of a recording. */
export interface RecordedFrame {
  /** `in`: the server sent it; `out`: the client did. */
  readonly dir: FrameDirection;
  /** Milliseconds since the recording started. */
  readonly atMs: number;
  /** The JSON-RPC frame, secrets scrubbed. */
  readonly frame: JsonRpcMessage;
}

/**
 * A session as plain JSON (write it to a file with `JSON.stringify`, read it back with
 * `JSON.parse`): the server's version and every frame in and out, in order, with its time.
 * `ReplayTransport` plays it back to a new client.
 */
export interface Recording {
  /** The format's version. */
  readonly format: 'codex-rx-recording/1';
  /** The server's version from the handshake (null when the recording holds none and the client did not know it). */
  readonly serverVersion: string | null;
  /** Wall-clock time the recording started (ms since the epoch). */
  readonly startedAt: number;
  /** Every frame in and out, in the order they passed. */
  readonly frames: readonly RecordedFrame[];
}

/** The client side a recorder needs: its frame taps (a `CodexClient` has them). */
export interface RecordableClient {
  /** Every inbound frame, decoded. */
  readonly frames$: Observable<JsonRpcMessage>;
  /** Every outbound frame, as sent. */
  readonly framesOut$: Observable<JsonRpcMessage>;
  /** The server's version, when the client already knows it (the recording then starts with it). */
  readonly serverVersion?: string | null;
}

/** Options of `startRecording`. */
export interface RecordingOptions {
  /** The clock of `atMs` (default `Date.now`; pass `() => scheduler.now()` to record in virtual time). */
  now?: () => number;
  /** A further scrub applied to each frame after the built-in one (return the frame to keep, as is or changed). */
  scrub?: (frame: JsonRpcMessage, dir: FrameDirection) => JsonRpcMessage;
}

/** A recording in progress. */
export interface Recorder {
  /** Stops recording (idempotent) and returns what was recorded. */
  stop(): Recording;
  /** Frames recorded so far. */
  readonly size: number;
}

/**
 * Records every frame a client sends and receives from now on, with its time, until `stop()`.
 * Start it before `client.start()` (or the first request) to hold the handshake, which replay
 * needs. Secrets (tokens, API keys, `Authorization`, passwords, URL credentials) are scrubbed
 * before a frame is kept.
 */
export function startRecording(client: RecordableClient, options: RecordingOptions = {}): Recorder {
  const now = options.now ?? Date.now;
  const t0 = now();
  const startedAt = Date.now();
  const frames: RecordedFrame[] = [];
  let serverVersion: string | null = null;
  const initializeIds = new Set<unknown>();
  let stopped: Recording | null = null;

  const keep = (dir: FrameDirection) => (frame: JsonRpcMessage) => {
    const f = frame as { id?: unknown; method?: string; result?: { userAgent?: unknown } };
    if (dir === 'out' && f.method === 'initialize') initializeIds.add(f.id);
    if (dir === 'in' && f.method === undefined && initializeIds.has(f.id)) serverVersion ??= parseServerVersion(f.result?.userAgent);
    let kept = scrubSecrets(frame) as JsonRpcMessage;
    if (options.scrub) kept = options.scrub(kept, dir);
    frames.push({ dir, atMs: now() - t0, frame: kept });
  };
  const subscription = new Subscription();
  // Outbound first: an answer delivered inside send() is still recorded after its request.
  // A failed transport ends the taps; what was recorded until then stays.
  subscription.add(client.framesOut$.subscribe({ next: keep('out'), error: ignore }));
  subscription.add(client.frames$.subscribe({ next: keep('in'), error: ignore }));

  return {
    get size() {
      return frames.length;
    },
    stop() {
      if (stopped) return stopped;
      subscription.unsubscribe();
      stopped = {
        format: 'codex-rx-recording/1',
        serverVersion: serverVersion ?? client.serverVersion ?? null,
        startedAt,
        frames: frames.slice(),
      };
      return stopped;
    },
  };
}

function ignore(): void {}
