/**
 * The benchmarks (issues 6 and 16): every workload through codex-rx and through the bare baseline
 * (bench/bare.ts) in the same run, alternating, medians of BENCH_RUNS runs. Prints a table and
 * rewrites the generated part of BENCHMARKS.md.
 *
 * Run with `npm run bench` (scripts/bench.js compiles, then runs this). Environment:
 *   BENCH_RUNS=5          runs per side of each workload (at least 5 for published figures)
 *   BENCH_ONLY=chat,rss   only these workloads (ids below); BENCHMARKS.md is then left alone
 *   BENCH_SIDE=rx         one side only (for a CPU profile); BENCHMARKS.md is then left alone
 *   BENCH_NO_WRITE=1      do not touch BENCHMARKS.md
 */
import { logRuns, printTable, rowOf, writeMarkdown, type Row } from './report';
import { log, runWorkload, SIDES } from './run';
import type { BenchEnv, RealServer, Workload } from './workload';
import { floodWorkloads } from './workloads/flood';
import { linkWorkloads } from './workloads/links';
import { memoryWorkloads } from './workloads/memory';
import { placementWorkloads } from './workloads/placement';
import { realServerWorkloads, startRealServer } from './workloads/real-server';

const WORKLOADS: readonly Workload[] = [
  ...floodWorkloads,
  ...linkWorkloads,
  ...realServerWorkloads,
  ...placementWorkloads,
  ...memoryWorkloads,
];

const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;

async function main(): Promise<void> {
  const unknown = [...(ONLY ?? [])].filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (unknown.length) throw new Error(`BENCH_ONLY: no workload ${unknown.join(', ')} (there are ${WORKLOADS.map((w) => w.id).join(', ')})`);
  const selected = WORKLOADS.filter((w) => !ONLY || ONLY.has(w.id));

  let real: Promise<RealServer> | null = null;
  let placed: Promise<RealServer> | null = null;
  const env: BenchEnv = { realServer: () => (real ??= startRealServer()), placedServer: () => (placed ??= startRealServer(1)) };
  const rows: Row[] = [];
  const started = performance.now();
  try {
    for (const w of selected) {
      log(w.title);
      const samples = await runWorkload(w, env);
      for (const m of w.measures) {
        logRuns(m, samples);
        rows.push(rowOf(m, samples));
      }
    }
  } finally {
    if (real) await (await real).dispose();
    if (placed) await (await placed).dispose();
  }

  // Rows in table order: the issue-16 rows first, each section in declaration order.
  rows.sort((a, b) => (a.measure.section === b.measure.section ? 0 : a.measure.section === 'cpu' ? -1 : 1));
  const seconds = (performance.now() - started) / 1000;
  printTable(rows, seconds);
  // Missed targets are reported, not a failure of the run.
  if (!ONLY && SIDES.length === 2 && !process.env.BENCH_NO_WRITE) writeMarkdown(rows, selected, seconds);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
