/** Token checking of the relay: who a presented token belongs to, or null. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import type { RelayIdentity } from './policy';
import { RELAY_TOKEN_PATTERN } from './protocol';

/** One user's token, for a relay with several users. */
export interface RelayUserToken {
  /** Who the token belongs to: the `identity.user` the upstream factory and the policy see. */
  readonly user: string;
  /** Their secret (letters, digits, `.`, `_`, `~`, `-`; `generateRelayToken()` makes one). */
  readonly token: string;
}

/**
 * Decides a presented token: the identity of whoever it belongs to (or just their user name), or
 * `false`/`null` to refuse. `true` admits them as the user `'default'`.
 */
export type RelayTokenVerifier = (
  token: string,
  request: http.IncomingMessage,
) => RelayIdentity | string | boolean | null | undefined | Promise<RelayIdentity | string | boolean | null | undefined>;

/** What `RelayOptions.token` takes: one token, one per user, or a function. */
export type RelayTokens = string | readonly RelayUserToken[] | RelayTokenVerifier;

/** 32 random bytes, base64url: a token fit for a subprotocol and a URL. */
export function generateRelayToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Throws a `TypeError` for a token a browser could not present. */
export function checkTokenShape(tokens: RelayTokens): void {
  if (typeof tokens === 'function') return;
  const list = typeof tokens === 'string' ? [tokens] : tokens.map((t) => t.token);
  if (list.length === 0 || list.some((t) => !RELAY_TOKEN_PATTERN.test(t))) {
    throw new TypeError('startRelay: a token must be letters, digits, ".", "_", "~" or "-" (generateRelayToken() makes one)');
  }
}

/** The identity the presented token stands for, or null when it stands for nobody. */
export async function identify(tokens: RelayTokens, presented: string | null, req: http.IncomingMessage): Promise<RelayIdentity | null> {
  if (!presented) return null;
  if (typeof tokens === 'function') {
    try {
      return identityOf(await tokens(presented, req));
    } catch {
      return null;
    }
  }
  if (typeof tokens === 'string') return sameSecret(presented, tokens) ? { user: 'default' } : null;
  // Every entry is compared, whichever matches: the time taken tells nothing of which one did.
  let found: RelayIdentity | null = null;
  for (const entry of tokens) if (sameSecret(presented, entry.token)) found ??= { user: entry.user };
  return found;
}

function identityOf(value: RelayIdentity | string | boolean | null | undefined): RelayIdentity | null {
  if (value === true) return { user: 'default' };
  if (typeof value === 'string' && value !== '') return { user: value };
  if (typeof value === 'object' && value !== null && typeof value.user === 'string') return value;
  return null;
}

/** Equal-length digests, compared in constant time: the comparison tells nothing of the token. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
