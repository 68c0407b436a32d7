/**
 * The server's version. The app-server reports it only inside `initialize`'s `userAgent`:
 * `<clientInfo.name>/<server version> (<os> <os version>; <arch>) <terminal> (<clientInfo.name>; <clientInfo.version>)`.
 */
import { PROTOCOL_SERVER_VERSION } from './methods';

/** `<name>/<semver>` at the start, where the name may hold spaces but no parenthesis. */
const USER_AGENT_VERSION = /^[^(]*?\/(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)(?=\s|$)/;

/** The server version in a `userAgent`, or null when it holds none in the known format. */
export function parseServerVersion(userAgent: unknown): string | null {
  if (typeof userAgent !== 'string') return null;
  return USER_AGENT_VERSION.exec(userAgent)?.[1] ?? null;
}

/**
 * The text of the one diagnostic for a server whose version differs from the pinned protocol's
 * (`PROTOCOL_SERVER_VERSION`), or null when they agree (or the version is unknown).
 */
export function versionMismatchMessage(serverVersion: string | null): string | null {
  if (serverVersion === null || serverVersion === PROTOCOL_SERVER_VERSION) return null;
  return (
    `codex app-server ${serverVersion} is not the ${PROTOCOL_SERVER_VERSION} codex-rx's protocol types were generated from: ` +
    'methods, notifications, item types and fields may differ (new ones reach you untyped; a method the server lacks ' +
    'fails with CodexProtocolError code -32600)'
  );
}
