/**
 * Finding the `codex` to run when no command is given: the `@openai/codex` package installed beside
 * codex-rx (its native binary, from the platform package it depends on, else its `bin/codex.js`
 * through Node), then `codex` on the PATH. Node only.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** How to start `codex app-server`. */
export interface CodexLaunch {
  /** argv, the program first, ending with `app-server`. */
  command: string[];
  /** Extra environment variables to merge over process.env. */
  env: Record<string, string>;
  /** The version of the `@openai/codex` package it runs (e.g. `0.171.0`); null for a `codex` found on the PATH. */
  version: string | null;
}

/** Names the directory whose `node_modules` holds the `@openai/codex` to run (instead of the one beside codex-rx). */
export const CODEX_PREFIX_ENV = 'CODEX_RX_CODEX_PREFIX';

const NATIVE_TARGETS: Record<string, { pkg: string; triple: string }> = {
  'linux-x64': { pkg: '@openai/codex-linux-x64', triple: 'x86_64-unknown-linux-musl' },
  'linux-arm64': { pkg: '@openai/codex-linux-arm64', triple: 'aarch64-unknown-linux-musl' },
  'darwin-x64': { pkg: '@openai/codex-darwin-x64', triple: 'x86_64-apple-darwin' },
  'darwin-arm64': { pkg: '@openai/codex-darwin-arm64', triple: 'aarch64-apple-darwin' },
  'win32-x64': { pkg: '@openai/codex-win32-x64', triple: 'x86_64-pc-windows-msvc' },
  'win32-arm64': { pkg: '@openai/codex-win32-arm64', triple: 'aarch64-pc-windows-msvc' },
};

/**
 * Resolves from codex-rx's own location (CommonJS), or from the working directory (the ES-module
 * build has no `__filename`; an app's dependencies sit there).
 */
function resolver(from: string | undefined): NodeJS.Require {
  if (from) return createRequire(path.join(path.resolve(from), 'noop.js'));
  return createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'noop.js'));
}

function tryResolve(req: NodeJS.Require, id: string, paths?: string[]): string | null {
  try {
    return req.resolve(id, paths ? { paths } : undefined);
  } catch {
    return null;
  }
}

/** The `@openai/codex` package under `prefix` (default `CODEX_RX_CODEX_PREFIX`, else beside codex-rx), or null. */
export function codexFromPackage(prefix: string | undefined = process.env[CODEX_PREFIX_ENV] || undefined): CodexLaunch | null {
  const req = resolver(prefix);
  const wrapperPkg = tryResolve(req, '@openai/codex/package.json');
  if (!wrapperPkg) return null;
  const version = String((JSON.parse(fs.readFileSync(wrapperPkg, 'utf8')) as { version?: unknown }).version);
  // The platform package next to the wrapper (an optional dependency of it): no Node hop.
  const target = NATIVE_TARGETS[`${process.platform}-${process.arch}`];
  const pkgJson = target ? tryResolve(req, `${target.pkg}/package.json`, [path.dirname(wrapperPkg)]) : null;
  if (target && pkgJson) {
    const vendor = path.join(path.dirname(pkgJson), 'vendor', target.triple);
    const bin = path.join(vendor, 'bin', process.platform === 'win32' ? 'codex.exe' : 'codex');
    if (fs.existsSync(bin)) {
      const env: Record<string, string> = {};
      // The binary finds its helpers (rg, ...) itself; putting them on the PATH helps older layouts.
      const pathDir = path.join(vendor, 'codex-path');
      if (fs.existsSync(pathDir)) env.PATH = `${pathDir}${path.delimiter}${process.env.PATH ?? ''}`;
      return { command: [bin, 'app-server'], env, version };
    }
  }
  return { command: [process.execPath, path.join(path.dirname(wrapperPkg), 'bin', 'codex.js'), 'app-server'], env: {}, version };
}

/** `codex` on `PATH` (the process's, or the one given), or null. */
export function codexOnPath(pathVar: string | undefined = process.env.PATH): CodexLaunch | null {
  const names = process.platform === 'win32' ? ['codex.exe', 'codex.cmd'] : ['codex'];
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return { command: [file, 'app-server'], env: {}, version: null };
      } catch {
        /* not here */
      }
    }
  }
  return null;
}

/** Where `codex app-server` is: the package beside codex-rx, else the PATH; null when neither has it. */
export function findCodex(env: NodeJS.ProcessEnv = process.env): CodexLaunch | null {
  return codexFromPackage(env[CODEX_PREFIX_ENV] || undefined) ?? codexOnPath(env.PATH);
}

/** What to do when no codex is found. */
export const NO_CODEX_HELP =
  'no codex app-server found: install it beside codex-rx (npm install @openai/codex), ' +
  'or put `codex` on the PATH, or set CODEX_APP_SERVER_CMD, or pass the `command` option';
