/**
 * Node only (reached through `#node-transports`): the connection's frames and lifecycle on
 * `diagnostics_channel` and in the `NODE_DEBUG=codex-rx` log.
 *
 * - `codex-rx:frame:in` / `codex-rx:frame:out`: `{ frame, connection }` per frame.
 * - tracing channel `codex-rx:request` (`tracing:codex-rx:request:start|end|asyncStart|asyncEnd|error`):
 *   context `{ method, params, connection }`, then `result` or `error` on it.
 * - tracing channel `codex-rx:turn`: context `{ threadId, turnId, connection }` from `turn/started`
 *   to `turn/completed` (`turn` on it; `error` for a failed or interrupted turn).
 * Nothing is built or parsed for a channel nobody subscribed to.
 */
import * as dc from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { CodexProtocolError } from '../errors';
import type { Probe, TraceEnd } from './probe';
import { scrubSecrets } from './scrub-secrets';

const frameIn = dc.channel('codex-rx:frame:in');
const frameOut = dc.channel('codex-rx:frame:out');
const requests = dc.tracingChannel('codex-rx:request');
const turns = dc.tracingChannel('codex-rx:turn');
/** `NODE_DEBUG=codex-rx` (read once, when this module loads). */
const log = debuglog('codex-rx');

/** One line of the debug log: a frame with its secrets scrubbed, cut at 1,000 characters. */
function show(frame: unknown): string {
  const text = JSON.stringify(scrubSecrets(frame)) ?? String(frame);
  return text.length > 1000 ? `${text.slice(0, 1000)}… (${text.length} chars)` : text;
}

type TurnContext = { threadId: string; turnId: string; connection: object; turn?: unknown; error?: unknown };
/** Turns traced from their `turn/started`, per connection. */
const openTurns = new WeakMap<object, Map<string, TurnContext>>();

function traceTurns(frame: { method?: string; params?: unknown }, connection: object): void {
  const method = frame.method;
  if (method !== 'turn/started' && method !== 'turn/completed') return;
  const p = frame.params as { threadId?: string; turn?: { id?: string; status?: string; error?: { message?: string } | null } } | undefined;
  const turnId = p?.turn?.id;
  if (typeof turnId !== 'string') return;
  let open = openTurns.get(connection);
  if (method === 'turn/started') {
    if (!turns.start.hasSubscribers || open?.has(turnId)) return;
    const context: TurnContext = { threadId: String(p?.threadId), turnId, connection };
    if (!open) openTurns.set(connection, (open = new Map()));
    open.set(turnId, context);
    turns.start.publish(context);
    turns.end.publish(context);
    return;
  }
  const context = open?.get(turnId);
  if (!context) return;
  open!.delete(turnId);
  context.turn = p!.turn;
  const status = p!.turn!.status;
  if (status === 'failed' || status === 'interrupted') {
    context.error = new CodexProtocolError(p!.turn!.error?.message ?? `turn ${status}`, { data: p!.turn });
    turns.error.publish(context);
  }
  turns.asyncStart.publish(context);
  turns.asyncEnd.publish(context);
}

/** The probe of every connection in this process. */
export const nodeProbe: Probe = {
  inbound(frame, connection) {
    if (frameIn.hasSubscribers) frameIn.publish({ frame, connection });
    if (log.enabled) log('in %s', show(frame));
    if ('method' in frame) traceTurns(frame as { method: string }, connection);
  },
  outbound(text, connection) {
    const logging = log.enabled;
    if (!frameOut.hasSubscribers && !logging) return;
    const frame = JSON.parse(text) as object;
    if (frameOut.hasSubscribers) frameOut.publish({ frame, connection });
    if (logging) log('out %s', show(frame));
  },
  request(method, params, connection): TraceEnd | null {
    if (!requests.start.hasSubscribers) return null;
    const context: { method: string; params: unknown; connection: object; result?: unknown; error?: unknown } = {
      method,
      params,
      connection,
    };
    requests.start.publish(context);
    requests.end.publish(context);
    return {
      done(result) {
        context.result = result;
        requests.asyncStart.publish(context);
        requests.asyncEnd.publish(context);
      },
      fail(error) {
        context.error = error;
        requests.error.publish(context);
        requests.asyncStart.publish(context);
        requests.asyncEnd.publish(context);
      },
    };
  },
  lifecycle(event, _connection, detail) {
    if (log.enabled) log('%s%s', event, detail === undefined ? '' : ` ${show(detail)}`);
  },
  closed(connection, error) {
    const e = error as { code?: string; message?: string };
    if (log.enabled) log('closed %s', show({ code: e?.code, message: e?.message }));
    const open = openTurns.get(connection);
    if (!open) return;
    openTurns.delete(connection);
    for (const context of open.values()) {
      context.error = error;
      turns.error.publish(context);
      turns.asyncStart.publish(context);
      turns.asyncEnd.publish(context);
    }
  },
};
