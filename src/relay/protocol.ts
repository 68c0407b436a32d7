/**
 * The little protocol between `RelayTransport` (in the browser) and the relay (`codex-rx/relay`, on
 * Node). Browser-safe: constants and pure checks only.
 *
 * - The browser offers two WebSocket subprotocols: `codex-rx.relay.v1`, and `codex-rx.token.<token>`
 *   carrying the token (a browser WebSocket cannot send an Authorization header). The relay selects
 *   `codex-rx.relay.v1`; it never echoes the token.
 * - A browser cannot read the HTTP status of a refused upgrade (it sees close code 1006 whatever the
 *   cause), so the relay refuses a client that offered `codex-rx.relay.v1` by accepting the upgrade
 *   and closing at once with a code below: 4401 for the token, 4403 for the Origin. Other clients
 *   get plain HTTP 401 / 403.
 * - Once its app-server is up, the relay sends one text message `{"codexRxRelay":1,"ready":true}`;
 *   every later message, both ways, is one JSON-RPC frame as the app-server speaks it, except:
 * - A frame from the app-server over the relay's `maxFrameBytes` is discarded by the relay, which
 *   sends `{"codexRxRelay":1,"oversized":{"head":…,"bytes":…,"maxFrameBytes":…}}` in its place (its
 *   first 1,000 characters, its size), so that the client can fail the request it answered at once.
 */

/** The WebSocket subprotocol of a relay connection (selected by the relay). */
export const RELAY_PROTOCOL = 'codex-rx.relay.v1';

/** Prefix of the subprotocol that carries the token. */
export const RELAY_TOKEN_PREFIX = 'codex-rx.token.';

/**
 * What a relay token may hold: characters allowed in a subprotocol name (RFC 6455 token) that are
 * also URL-safe, such as base64url.
 */
export const RELAY_TOKEN_PATTERN = /^[A-Za-z0-9._~-]+$/;

/** Close codes of the relay (4000-4999 are for applications; these mirror HTTP statuses). */
export const RelayCloseCode = {
  /** The token was missing or wrong. */
  unauthorized: 4401,
  /** The page's Origin is not on the relay's allow list. */
  forbidden: 4403,
  /** The relay has as many connections as it allows. */
  busy: 4503,
  /** The app-server could not be started, or it exited. */
  upstreamFailed: 4502,
} as const;

/** The relay's first message. */
export const RELAY_READY_MESSAGE = '{"codexRxRelay":1,"ready":true}';

/** What the relay tells the client of a frame it discarded (see the `oversized` message above). */
export interface RelayOversized {
  readonly head: string;
  readonly bytes: number;
  readonly maxFrameBytes: number;
}

/** The relay's message in place of a frame from the app-server it discarded. */
export function relayOversizedMessage(oversized: RelayOversized): string {
  const { head, bytes, maxFrameBytes } = oversized;
  return JSON.stringify({ codexRxRelay: 1, oversized: { head, bytes, maxFrameBytes } });
}

/** The discarded frame a parsed relay message describes, or null (any other value: a frame). */
export function relayOversized(value: unknown): RelayOversized | null {
  const v = value as { codexRxRelay?: unknown; oversized?: Partial<Record<keyof RelayOversized, unknown>> } | null;
  if (v?.codexRxRelay !== 1 || typeof v.oversized !== 'object' || v.oversized === null) return null;
  const { head, bytes, maxFrameBytes } = v.oversized;
  if (typeof head !== 'string' || typeof bytes !== 'number' || typeof maxFrameBytes !== 'number') return null;
  return { head, bytes, maxFrameBytes };
}

/** True for the relay's first message. */
export function isRelayReady(text: string): boolean {
  try {
    const v = JSON.parse(text) as { codexRxRelay?: unknown; ready?: unknown };
    return v?.codexRxRelay === 1 && v.ready === true;
  } catch {
    return false;
  }
}
