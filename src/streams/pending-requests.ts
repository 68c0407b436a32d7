import type { SchedulerLike } from 'rxjs';
import { CodexAbortError, CodexProtocolError, CodexTimeoutError, CodexTransportError } from '../errors';
import { JsonRpcErrorObjectCodec } from '../protocol/codecs';
import { describeValue } from '../protocol/describe';
import type { JsonRpcId, JsonRpcMessage } from '../protocol/messages';
import { Deadline, Deadlines } from './deadlines';
import type { LinkEvent, OutboundHandle } from './transport';

/** One request waiting for its answer. */
interface Pending extends Deadline {
  readonly method: string;
  readonly timeoutMs: number;
  /** Sent past the link gate (the client's own handshake and resumes on a new link). */
  readonly now: boolean;
  /** Written to the current link (not just held). */
  sent: boolean;
  /** Writes the request's frame to the link. */
  readonly transmit: () => void;
  /** The request's frame, while the transport may still take it back. */
  outbound?: OutboundHandle | void;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** A request to register. */
export interface NewRequest {
  readonly id: JsonRpcId;
  readonly method: string;
  /** Its deadline; null or Infinity: none. */
  readonly timeoutMs: number | null;
  readonly signal?: AbortSignal;
  readonly now: boolean;
  /** Writes the frame; may return a handle that takes it back while it still waits to go out. */
  readonly write: () => OutboundHandle | void;
  readonly onResult: (result: unknown) => void;
  readonly onError: (err: Error) => void;
}

/**
 * The requests waiting for an answer, by id (a `Map`: O(1) per response, however many wait), with
 * their deadlines (one shared timer) and abort signals. Every request ends exactly once: answered,
 * timed out, aborted, or failed when its link or the connection goes.
 */
export class PendingRequests {
  private readonly byId = new Map<JsonRpcId, Pending>();
  private readonly deadlines: Deadlines<Pending>;

  constructor(private readonly scheduler: SchedulerLike) {
    this.deadlines = new Deadlines(scheduler);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Registers a request; `transmit()` of the result writes it. Returns null (after `onError`) when
   * its signal was already aborted.
   */
  add(req: NewRequest): { transmit: () => void; forget: () => void } | null {
    const { id, method, signal } = req;
    if (signal?.aborted) {
      req.onError(abortError(method, signal));
      return null;
    }
    const timed = req.timeoutMs !== null && req.timeoutMs !== Infinity;
    let onAbort: (() => void) | undefined;
    const forget = () => {
      if (!this.byId.delete(id)) return;
      this.deadlines.delete(entry);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    };
    const entry: Pending = {
      method,
      now: req.now,
      sent: false,
      transmit: () => {
        if (this.byId.get(id) !== entry) return;
        entry.sent = true;
        try {
          entry.outbound = req.write();
        } catch (err) {
          entry.reject(asTransportError(err));
        }
      },
      at: timed ? this.scheduler.now() + req.timeoutMs! : Infinity,
      timeoutMs: timed ? req.timeoutMs! : Infinity,
      expire: () => {
        // Timed out while still waiting to go out: it never reaches the server late.
        entry.outbound?.cancel();
        entry.reject(timeoutError(method, entry.timeoutMs));
      },
      resolve: (result) => {
        forget();
        req.onResult(result);
      },
      reject: (err) => {
        forget();
        req.onError(err);
      },
    };
    this.byId.set(id, entry);
    this.deadlines.add(entry);
    if (signal) {
      onAbort = () => {
        entry.outbound?.cancel();
        entry.reject(abortError(method, signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return { transmit: entry.transmit, forget };
  }

  /**
   * A response: resolves or rejects its request. `{id, result, error: null}` is a result; an error
   * of the wrong shape rejects at once with the raw frame. False when no request waits for the id.
   */
  settle(frame: JsonRpcMessage): boolean {
    const id = (frame as { id: JsonRpcId | null }).id;
    const pending = typeof id === 'number' || typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!pending) return false;
    const error: unknown = (frame as { error?: unknown }).error;
    if (error === undefined || error === null) pending.resolve((frame as { result?: unknown }).result);
    else if (JsonRpcErrorObjectCodec.is(error)) {
      pending.reject(
        new CodexProtocolError(`${pending.method}: ${error.message} (code ${error.code})`, { code: error.code, data: error.data }),
      );
    } else {
      pending.reject(
        new CodexProtocolError(`${pending.method}: the server answered with a malformed error ${describeValue(error)}`, { data: frame }),
      );
    }
    return true;
  }

  /** A response too big to read (its first characters are `head`): its request fails at once. */
  failOversized(head: string, bytes: number, maxFrameBytes: number): void {
    const response = /^\s*\{\s*"id"\s*:\s*(\d+)\s*,\s*"(?:result|error)"/.exec(head);
    const pending = response ? this.byId.get(Number(response[1])) : undefined;
    pending?.reject(
      new CodexProtocolError(`${pending.method}: the response (${bytes} bytes) exceeds maxFrameBytes (${maxFrameBytes})`, {
        data: { bytes, head },
      }),
    );
  }

  /**
   * The link the requests were sent on dropped: each fails with the link's error, except, when the
   * server runs on, those `retryable` says may be sent twice, which `hold` keeps for the new link.
   */
  dropped(event: Extract<LinkEvent, { type: 'down' }>, retryable: (method: string) => boolean, hold: (transmit: () => void) => void): void {
    for (const p of [...this.byId.values()]) {
      if (!p.sent) continue;
      p.sent = false;
      if (event.resumable && !p.now && retryable(p.method)) hold(p.transmit);
      else p.reject(new CodexTransportError(`${p.method}: ${event.error.message}`, reasonInfo(event.error)));
    }
  }

  /** The connection ended: every request fails with `reason`. */
  failAll(reason: CodexTransportError): void {
    // Each reject's cleanup deletes its entry and its deadline.
    for (const p of [...this.byId.values()]) p.reject(new CodexTransportError(`${p.method}: ${reason.message}`, reasonInfo(reason)));
    this.byId.clear();
    this.deadlines.clear();
  }
}

function abortError(method: string, signal: AbortSignal): CodexAbortError {
  return new CodexAbortError(`request '${method}' aborted`, { method, reason: signal.reason });
}

function timeoutError(method: string, timeoutMs: number): CodexTimeoutError {
  return new CodexTimeoutError(`request '${method}' timed out after ${timeoutMs} ms`, { method, timeoutMs });
}

function reasonInfo(e: CodexTransportError): ConstructorParameters<typeof CodexTransportError>[1] {
  return { code: e.code, exitCode: e.exitCode, signal: e.signal, cause: e };
}

/** `err` as a `CodexTransportError` (a transport's failure to write, say). */
export function asTransportError(err: unknown): CodexTransportError {
  if (err instanceof CodexTransportError) return err;
  return new CodexTransportError(err instanceof Error ? err.message : String(err), { cause: err });
}
