import { parse } from 'shell-quote';
import { DEFAULTS } from '../defaults';
import { findCodex } from './codex-binary';

/**
 * Splits a command line like a POSIX shell would (quotes and backslashes; no expansion, no
 * operators), with the maintained `shell-quote` parser. On Windows a backslash is a path
 * separator, not an escape. An unterminated quote or a shell operator is a `TypeError` that says
 * what, without echoing the line (it may hold a key).
 */
export function splitCommandLine(line: string, platform: NodeJS.Platform = process.platform): string[] {
  const open = unterminatedQuote(line, platform === 'win32');
  if (open)
    throw new TypeError(`unterminated ${open.quote} quote in the command line (opened at character ${open.at + 1} of ${line.length})`);
  const source = platform === 'win32' ? line.replace(/\\/g, '\\\\') : line;
  // `$NAME` stays as written: nothing is expanded, as no shell runs the command.
  return parse(source, (name) => `$${name}`).map((entry) => {
    if (typeof entry === 'string') return entry;
    if ('op' in entry && entry.op === 'glob') return entry.pattern;
    throw new TypeError(
      `the command line holds ${'comment' in entry ? 'a comment' : `the shell operator '${entry.op}'`}: no shell runs it`,
    );
  });
}

/** Where a quote opens that never closes (single quotes take everything literally; `\\` escapes outside them, but on Windows). */
function unterminatedQuote(line: string, windows: boolean): { quote: string; at: number } | null {
  let quote: string | null = null;
  let at = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\' && !windows) i++;
    else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      at = i;
    }
  }
  return quote ? { quote, at } : null;
}

/**
 * The server's argv (and environment) when no `command` is given: `CODEX_APP_SERVER_CMD` split like
 * a shell would, else the `@openai/codex` installed beside codex-rx, else `codex` on the PATH; null
 * when there is none.
 */
export function defaultStdioLaunch(env: NodeJS.ProcessEnv = process.env): { command: string[]; env: Record<string, string> } | null {
  const fromEnv = env.CODEX_APP_SERVER_CMD?.trim();
  if (!fromEnv) return findCodex(env);
  try {
    return { command: splitCommandLine(fromEnv), env: {} };
  } catch (err) {
    throw new TypeError(`CODEX_APP_SERVER_CMD: ${(err as Error).message}`);
  }
}

/** Just the argv of `defaultStdioLaunch` (`codex app-server` when nothing is found: it fails at start with how to get one). */
export function defaultStdioCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  return defaultStdioLaunch(env)?.command ?? [...DEFAULTS.stdioCommand];
}
