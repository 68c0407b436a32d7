/**
 * Secrets out of recorded frames. A recording is a file that gets committed next to tests: it must
 * not hold what unlocks an account, a model or a server. Key names decide for string values under
 * them; some values are secrets whatever their key (API-key prefixes, JWTs, bearer credentials,
 * credentials inside URLs).
 */
import { redactUrl } from './redact';

/** Keys whose string value is a secret. Narrower than error redaction: replay needs `keyPath`, `sessionId`, ... intact. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|credentials?)$|token$|api[-_]?key$|secret$|password$/i;
const SECRET_VALUE = /^(sk|pk|rk|sess|ghp|gho|ghs|ghu|xox[abpr])[-_][A-Za-z0-9_-]{8,}|^eyJ[\w-]{8,}\.[\w-]{8,}\./;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const URL_WITH_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@"']+@[^\s"']*/gi;
/** What a scrubbed secret reads as. */
export const SCRUBBED = '***';

/**
 * Secret values the client was given (an exec-server's token, say): scrubbed wherever they appear,
 * whatever the key, also in what a server echoes back. Process-wide: a recording or log may hold
 * any client's frames.
 */
const knownSecrets = new Set<string>();

/** Scrubs `value` from every recording and debug log of this process from now on (ignored when shorter than 8 characters). */
export function rememberSecret(value: string): void {
  if (value.length >= 8) knownSecrets.add(value);
}

/** A deep copy of `value` with secrets replaced by `***`. Plain JSON in, plain JSON out. */
export function scrubSecrets(value: unknown): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map(scrubSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = typeof v === 'string' && SECRET_KEY.test(key) ? SCRUBBED : scrubSecrets(v);
  }
  return out;
}

function scrubString(s: string): string {
  if (SECRET_VALUE.test(s)) return SCRUBBED;
  // Cheap tests first: nearly every string holds neither.
  let out = s;
  if (knownSecrets.size) for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(SCRUBBED);
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(BEARER, `$1 ${SCRUBBED}`);
  if (out.includes('@') && out.includes('://')) out = out.replace(URL_WITH_CREDENTIALS, (url) => redactUrl(url));
  return out;
}
