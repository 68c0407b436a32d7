import { CodexProtocolError, CodexTransportError } from '../errors';
import { isTurnStartResult } from '../protocol/codecs';
import type { RequestOptions } from '../options';
import type { JsonRpcMessage } from '../protocol/messages';
import type { JsonRpcConnection } from '../streams/connection';
import { CALL, type EngineRequests } from './requests';
import { recentTurns, type StoredTurn } from './stored-turns';
import type { ThreadRegistry } from './thread-registry';
import type { TurnRouter } from './turn-router';

/** The turn a `turn/start` made, and how the chat knows it is that one. */
export interface StartedTurn {
  readonly turnId: string;
  /** The `turn/start` answer (null when it was lost). */
  readonly answer: unknown;
  /**
   * Null: the `turn/start` answer said so. Else its answer was lost with a link: the turn as the
   * server stored it (found by the user message's `clientId`), and the thread's frames that came on
   * the dropped link (any turn's, in order), to be delivered before the stored items.
   */
  readonly adopted: { readonly stored: StoredTurn; readonly early: readonly JsonRpcMessage[] } | null;
}

/** The engine's parts a turn/start uses. */
export interface TurnStarterParts {
  readonly connection: JsonRpcConnection;
  readonly requests: EngineRequests;
  readonly threads: ThreadRegistry;
  readonly router: TurnRouter;
}

/**
 * Sending `turn/start` so that a chat owns exactly the turn its request made. Each request carries
 * a `clientUserMessageId` of the client's making, which the server stores as the user message's
 * `clientId`. When the link drops with the request in flight, its outcome is unknown: the server
 * may have started the turn or never seen the request. The caller keeps its thread (the thread
 * slot, and the router's expectation, which holds the thread's frames) while this reads the
 * thread's stored turns on the new link: the turn with that `clientId` is adopted; none, and the
 * request is sent again. A chat is failed by a dropped link only when the connection ends (the
 * reconnect policy gave up) or the server did not survive it (a restarted process).
 */
export class TurnStarter {
  /** Whether the server survived the last dropped link (it then still runs what it was sent). */
  private serverSurvived = true;
  private readonly prefix = `codex-rx-${randomPart()}`;
  private sent = 0;

  constructor(private readonly parts: TurnStarterParts) {
    parts.connection.onLink((event) => {
      if (event.type === 'down') this.serverSurvived = event.resumable;
    });
  }

  /**
   * Sends `turn/start` with `params` (made for it: it gains the `clientUserMessageId`) on a thread
   * whose expectation the caller holds; `opts` go with each send (W3C trace context).
   */
  async start(threadId: string, params: Record<string, unknown>, opts?: RequestOptions): Promise<StartedTurn> {
    const { connection, requests } = this.parts;
    const clientId = `${this.prefix}-${++this.sent}`;
    // Set, not spread into a copy: V8 makes that a slow runtime copy, on every turn.
    params.clientUserMessageId = clientId;
    let early: JsonRpcMessage[] | null = null;
    for (;;) {
      const link = connection.link;
      try {
        // The turn's caller awaited the handshake before it took the thread's slot.
        const result = await requests.call('turn/start', params, opts, CALL.engine);
        if (!isTurnStartResult(result)) throw new CodexProtocolError('turn/start answered without a turn id', { data: result });
        return { turnId: result.turn.id, answer: result, adopted: null };
      } catch (err) {
        if (!this.lostWithLink(err, link)) throw err;
      }
      const stored = await this.storedTurn(threadId, clientId, (early ??= []));
      if (stored) return { turnId: stored.id!, answer: null, adopted: { stored, early } };
      // It never reached the server: send it again on the new link.
    }
  }

  /**
   * Runs `fn` again each time it fails only because its request was lost with a link the server
   * survived (a `thread/resume` or `thread/start` in flight at a drop, say).
   */
  async retryLost<T>(fn: () => T | Promise<T>, first?: Promise<T>): Promise<T> {
    // `first`: the first attempt, made by the caller in this tick (on the current link).
    for (let attempt = first; ; attempt = undefined) {
      const link = this.parts.connection.link;
      try {
        return await (attempt ?? fn());
      } catch (err) {
        if (!this.lostWithLink(err, link)) throw err;
      }
    }
  }

  /**
   * The thread's stored turn whose user message has `clientId`, read on the new link after the
   * thread is resumed there (so that its live frames come again), or null. Frames the router held
   * for the thread until then came on the dropped link: they move to `early`, in order.
   */
  private async storedTurn(threadId: string, clientId: string, early: JsonRpcMessage[]): Promise<StoredTurn | null> {
    const { router, threads, requests } = this.parts;
    const request = requests.bind(CALL.user);
    return this.retryLost(async () => {
      early.push(...router.takeHeld(threadId));
      await threads.open('thread/resume', { threadId });
      const turns = await recentTurns(request, threadId, 'full');
      return turns.find((t) => typeof t.id === 'string' && userMessageClientId(t) === clientId) ?? null;
    });
  }

  /** `err` came from a request the link took down with it, and the server survived that link. */
  private lostWithLink(err: unknown, link: number): boolean {
    const { connection } = this.parts;
    return err instanceof CodexTransportError && !connection.isClosed && connection.link !== link && this.serverSurvived;
  }
}

/** The `clientId` of the stored turn's user message, if any. */
function userMessageClientId(turn: StoredTurn): string | undefined {
  const items = Array.isArray(turn.items) ? (turn.items as Array<{ type?: unknown; clientId?: unknown } | null>) : [];
  for (const item of items) if (item?.type === 'userMessage' && typeof item.clientId === 'string') return item.clientId;
  return undefined;
}

function randomPart(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  return uuid ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
