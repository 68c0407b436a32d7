/**
 * The figures of RELIABILITY.md (issue 12): what the client costs under the faults it survives,
 * each in a process of its own (peak RSS is per process) against the shipped fault-injecting
 * FakeAppServer (its CLI, dist/cjs/testing/fake-server/cli.js, built first) as a real child process. Run with `npm run bench:faults`; prints
 * a table and rewrites the generated part of RELIABILITY.md (BENCH_NO_WRITE=1: print only).
 *
 *   baseline          one small turn: the client's own peak RSS
 *   oversized-line    a 600 MB stdout line (discarded as it streams), then a turn
 *   suspended-flood   a turn times out, then 50,000 deltas of 10 KB (500 MB) arrive while it is
 *                     suspended; then it is resumed
 *   dead-stdout       time from the server closing its stdout (and living on) to the turn's error
 *   exit-grandchild   time from the server's exit (a grandchild holding its stdout) to the error
 *   relay-*           the relay under a hostile browser (bench/relay-faults.ts; peak RSS is the relay's)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filter, firstValueFrom, interval } from 'rxjs';
import { CodexClient } from '../src/client';
import { CodexTurnInactiveError } from '../src/errors';
import { ROOT } from './common';
import { attack, relayFaults } from './relay-faults';

// eslint-disable-next-line @typescript-eslint/no-require-imports
(require(path.join(ROOT, 'scripts', 'lib', 'packed.js')) as { ensureBuilt(): boolean }).ensureBuilt();
const FAKE = path.join(ROOT, 'dist', 'cjs', 'testing', 'fake-server', 'cli.js');
const client = (extra: Parameters<typeof CodexClient.connectStdio>[0] = {}) =>
  CodexClient.connectStdio({ command: [process.execPath, FAKE], ...extra });
const mb = (kb: number) => Math.round(kb / 1024);

/** One fault, run in this process: resolves with its figures. */
const FAULTS: Record<string, () => Promise<Record<string, number | string>>> = {
  async baseline() {
    const c = client();
    try {
      await c.chatOnce('ECHO hello');
    } finally {
      await c.close();
    }
    return {};
  },
  async 'oversized-line'() {
    const c = client();
    let bytes = 0;
    c.diagnostics$.subscribe((d) => {
      if (d.kind === 'oversized-frame') bytes = Number(/of (\d+) bytes/.exec(d.message)?.[1] ?? 0);
    });
    try {
      const r = await c.chatOnce('HUGE 600 after the flood');
      if (r.finalText !== 'Echo: after the flood') throw new Error(`unexpected answer ${r.finalText}`);
    } finally {
      await c.close();
    }
    return { 'line (MB)': Math.round(bytes / 2 ** 20) };
  },
  async 'suspended-flood'() {
    const c = client({ inactivityTimeoutMs: 300 });
    try {
      const ended = firstValueFrom(c.notifications$.pipe(filter((n) => n.method === 'turn/completed')));
      const err = await c.chatOnce('FLOOD_DELTAS 500 50000 10 done').catch((e: unknown) => e);
      if (!(err instanceof CodexTurnInactiveError)) throw new Error(`expected an inactivity timeout, got ${String(err)}`);
      // The flood arrives while the turn is suspended; watch what the client holds meanwhile.
      let held = 0;
      const watch = interval(5).subscribe(() => (held = Math.max(held, c.stats.bufferedBytes)));
      await ended;
      watch.unsubscribe();
      held = Math.max(held, c.stats.bufferedBytes);
      const r = await c.chatOnce(undefined, { continuation: err.continuation });
      return { 'held at most (MB)': Math.round(held / 2 ** 20), 'deltas dropped': r.droppedDeltas, answer: r.finalText };
    } finally {
      await c.close();
    }
  },
  async 'dead-stdout'() {
    const c = client();
    await c.initialize();
    const t0 = performance.now();
    const err = await c.chatOnce('CLOSE_STDOUT').catch((e: unknown) => e as Error);
    const ms = performance.now() - t0;
    await c.close();
    return { 'noticed after (ms)': Math.round(ms - 50), error: `${(err as { code?: string }).code}: ${(err as Error).message}` };
  },
  async 'exit-grandchild'() {
    const c = client();
    let grandchild = 0;
    c.diagnostics$.subscribe((d) => (grandchild = Number(/^grandchild (\d+)$/.exec(d.message)?.[1] ?? grandchild)));
    await c.initialize();
    const t0 = performance.now();
    const err = await c.chatOnce('GRANDCHILD_EXIT').catch((e: unknown) => e as Error);
    const ms = performance.now() - t0;
    const c0 = performance.now();
    await c.close();
    const closeMs = performance.now() - c0;
    if (grandchild) process.kill(grandchild, 'SIGKILL');
    return {
      'noticed after (ms)': Math.round(ms - 50),
      'close() took (ms)': Math.round(closeMs),
      error: `${(err as { code?: string }).code}`,
    };
  },
  ...relayFaults(__filename),
};

async function child(name: string): Promise<void> {
  const figures = await FAULTS[name]!();
  process.stdout.write(JSON.stringify({ ...figures, 'peak RSS (MB)': mb(process.resourceUsage().maxRSS) }) + '\n');
}

function main(): void {
  const rows: Array<[string, Record<string, number | string>]> = [];
  for (const name of Object.keys(FAULTS)) {
    process.stderr.write(`${name}...\n`);
    const run = spawnSync(process.execPath, [__filename, name], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`${name} failed:\n${run.stderr}`);
    rows.push([name, JSON.parse(run.stdout.trim().split('\n').pop()!)]);
  }
  const lines = [
    START,
    `Measured by \`npm run bench:faults\` (bench/faults.ts) on ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; each fault in a process of its own, against the fault-injecting FakeAppServer (dist/cjs/testing/fake-server/cli.js).`,
    '',
    '| fault | peak RSS of the client (the relay for relay-*) | figures |',
    '| --- | ---: | --- |',
    ...rows.map(([name, f]) => {
      const { 'peak RSS (MB)': rss, ...rest } = f;
      return `| ${name} | ${rss} MB | ${
        Object.entries(rest)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ') || '—'
      } |`;
    }),
    END,
  ];
  console.log(lines.join('\n'));
  if (process.env.BENCH_NO_WRITE) return;
  const file = path.join(ROOT, 'RELIABILITY.md');
  const old = fs.readFileSync(file, 'utf8');
  const a = old.indexOf(START);
  const b = old.indexOf(END);
  if (a < 0 || b < a) throw new Error('RELIABILITY.md has no figures markers');
  fs.writeFileSync(file, old.slice(0, a) + lines.join('\n') + old.slice(b + END.length));
  // The file is checked by prettier in `npm test`: the generated table is padded as prettier pads it.
  const formatted = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'prettier'), ['--write', file], { stdio: 'inherit' });
  if (formatted.status !== 0) throw new Error('prettier could not format RELIABILITY.md');
}

const START = '<!-- faults:start (generated by `npm run bench:faults`; edit outside these markers) -->';
const END = '<!-- faults:end -->';

if (process.argv[2] === 'attack') {
  attack(process.argv[3]!, process.argv[4]!, process.argv[5]!).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.argv[2]) {
  child(process.argv[2]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else main();
