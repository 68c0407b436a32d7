/**
 * Secrets out of error messages: a WebSocket URL's credentials and secret query values, a command
 * line's keys and tokens. Errors are logged, shown and sent to error trackers; they must not carry
 * what unlocks the server or the model.
 */

const SECRET_NAME = /key|token|secret|passw(or)?d|auth|credential|bearer|session|cookie|signature/i;
/** Values that are secrets whatever their name: API keys and tokens by their well-known prefixes, JWTs. */
const SECRET_VALUE = /^(sk|pk|rk|sess|ghp|gho|ghs|ghu|xox[abpr])[-_][A-Za-z0-9_-]{8,}|^eyJ[\w-]{8,}\.[\w-]{8,}\./;
const HIDDEN = '***';

/** The URL with any user name, password and secret-looking query value replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = HIDDEN;
    if (u.password) u.password = HIDDEN;
    for (const [name, value] of [...u.searchParams]) {
      if (SECRET_NAME.test(name) || SECRET_VALUE.test(value)) u.searchParams.set(name, HIDDEN);
    }
    // URL escapes the asterisks; put them back for readability.
    return u.toString().replace(/%2A%2A%2A/g, HIDDEN);
  } catch {
    // Not a URL we can parse: still drop anything between `//` and `@`, and query values.
    return url.replace(/\/\/[^/@]*@/, `//${HIDDEN}@`).replace(/([?&][^=&#]*=)[^&#]*/g, `$1${HIDDEN}`);
  }
}

/**
 * The argv with secrets replaced by `***`: the value of a `--api-key=…`-style flag, the argument
 * after a `--token`-style flag, `NAME=value` assignments with a secret-looking name, and values
 * that look like API keys or tokens.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let hideNext = false;
  for (const arg of argv) {
    if (hideNext) {
      hideNext = false;
      out.push(HIDDEN);
      continue;
    }
    const assignment = /^(-{0,2}[^=\s]+)=(.*)$/s.exec(arg);
    if (assignment && SECRET_NAME.test(assignment[1]!)) out.push(`${assignment[1]}=${HIDDEN}`);
    else if (/^--?[\w.-]+$/.test(arg) && SECRET_NAME.test(arg)) {
      out.push(arg);
      hideNext = true;
    } else if (SECRET_VALUE.test(arg) || (assignment && SECRET_VALUE.test(assignment[2]!))) out.push(HIDDEN);
    else out.push(arg);
  }
  return out;
}

/** A command line for messages: the argv, redacted, joined. */
export function showCommand(argv: readonly string[]): string {
  return redactArgv(argv).join(' ');
}

/** The fields of a Node system error worth keeping. */
interface SystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
}

/**
 * A system error fit to keep as a `cause`: its message, `code`, `errno` and `syscall`, nothing else.
 * Node's spawn errors carry `spawnargs` (the whole argv, keys and all) and `path`; JSON.stringify and
 * util.inspect would show them wherever the error is logged.
 */
export function cleanSystemError(err: unknown): Error {
  const e = err as SystemError | null;
  const clean = new Error(typeof e?.message === 'string' ? e.message : String(err)) as SystemError;
  clean.name = typeof e?.name === 'string' ? e.name : 'Error';
  if (e?.code !== undefined) clean.code = e.code;
  if (e?.errno !== undefined) clean.errno = e.errno;
  if (e?.syscall !== undefined) clean.syscall = e.syscall;
  // The stack is where this was made, not the original's (whose first line could hold the path).
  return clean;
}
