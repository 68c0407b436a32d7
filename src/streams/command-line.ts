import { DEFAULTS } from '../defaults';
import { findCodex } from './codex-binary';

/**
 * Splits a command line like a POSIX shell would (quotes and backslashes; no expansion). An
 * unterminated quote is a `TypeError` that says where, without echoing the line (it may hold a key).
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let openedAt = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      openedAt = i;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new TypeError(`unterminated ${quote} quote in the command line (opened at character ${openedAt + 1} of ${line.length})`);
  if (inWord) out.push(cur);
  return out;
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
