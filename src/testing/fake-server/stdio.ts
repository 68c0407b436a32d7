/**
 * A `FakeAppServer` over this process's stdin/stdout: a stand-in for `codex app-server` that a
 * client spawns as a child process. Node-only (`codex-rx/testing/node`).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { FakeAppServer } from './fake-app-server';
import { installFaults, type FaultOptions } from './faults';
import type { FakeAppServerOptions } from './options';

/** Options of `serveFakeAppServerOverStdio`. */
export interface FakeStdioServerOptions {
  /** The server's options. Default: ids `thr_<n>`, `turn_<n>`, `item_<n>`, and no routine `userMessage` and token-usage frames. */
  server?: FakeAppServerOptions;
  /** Install the fault scenarios (`installFaults`) with these options; `false`: a plain FakeAppServer. Default: `{}`. */
  faults?: Omit<FaultOptions, 'hooks'> | false;
  /** Append every line read from stdin, as it came, to this file. */
  log?: string;
  /** Called with the server before it reads stdin: add handlers, scripts. */
  setup?: (server: FakeAppServer) => void;
}

/**
 * Serves a `FakeAppServer` on `process.stdin`/`process.stdout` (NDJSON, lines split on `\n` only)
 * until stdin ends, then exits the process. Faults that end the process (`EXIT`, `fake/exit`)
 * flush stdout first; `CLOSE_STDOUT` closes fd 1; `GRANDCHILD_EXIT` leaves a detached child holding
 * stdout for 10 s (its pid on stderr as `grandchild <pid>`). A line that is not JSON writes
 * `fake: bad line` to stderr.
 */
export function serveFakeAppServerOverStdio(options: FakeStdioServerOptions = {}): FakeAppServer {
  const server = new FakeAppServer(
    options.server ?? {
      threadId: (n) => `thr_${n}`,
      turnId: (n) => `turn_${n}`,
      itemId: (n) => `item_${n}`,
      routineFrames: { userMessage: false, tokenUsage: false },
    },
  );
  const exit = (code: number) => process.stdout.write('', () => process.exit(code));
  if (options.faults !== false) {
    installFaults(server, {
      ...options.faults,
      hooks: {
        exit,
        closeOutput: () => fs.closeSync(1),
        // The grandchild inherits stdout (fd 1) and holds it open after this process is gone.
        spawnGrandchild: () => {
          const grandchild = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], {
            stdio: ['ignore', 'inherit', 'ignore'],
            detached: true,
          });
          grandchild.unref();
          process.stderr.write(`grandchild ${grandchild.pid}\n`);
        },
      },
    });
  }
  options.setup?.(server);
  const receive = server.serve({
    write: (chunk) =>
      process.stdout.write(chunk) ? undefined : new Promise<void>((resolve) => process.stdout.once('drain', () => resolve())),
  });
  process.stdin.on('error', () => undefined);
  process.stdout.on('error', () => process.exit(0));
  // Frames are split on '\n' by hand (readline would also split on '\r').
  let tail = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    const lines = (tail + chunk).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      if (options.log) fs.appendFileSync(options.log, `${line}\n`);
      if (line.trim() && !receive(line)) process.stderr.write('fake: bad line\n');
    }
  });
  process.stdin.on('end', () => {
    void server.transport.close();
    process.exit(0);
  });
  return server;
}

/**
 * The options of the command-line entry (dist/cjs/testing/fake-server/cli.js) from its arguments (`key=value`) and
 * environment (`FAKE_<KEY>`): `log=<file>`, `overload=<method>:<n>[,<method>:<n>]`.
 */
export function fakeStdioOptionsFromArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): FakeStdioServerOptions {
  const args: Record<string, string> = {};
  for (const a of argv) {
    const eq = a.indexOf('=');
    if (eq > 0) args[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const log = args.log ?? env.FAKE_LOG;
  const overload: Record<string, number> = {};
  for (const part of (args.overload ?? env.FAKE_OVERLOAD ?? '').split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    overload[part.slice(0, i)] = Number(part.slice(i + 1));
  }
  return { faults: { overload }, ...(log ? { log } : {}) };
}
