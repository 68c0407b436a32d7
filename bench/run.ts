/**
 * How a workload is run: each side BENCH_RUNS times, alternating which side goes first, after an
 * untimed warm-up run per side; the figures are medians over those runs. BENCH_SIDE=rx|bare runs
 * one side alone (for a CPU profile of that side only).
 */
import { median } from './common';
import type { BenchEnv, Sample, Side, Workload } from './workload';

export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const ONLY_SIDE = process.env.BENCH_SIDE === 'rx' || process.env.BENCH_SIDE === 'bare' ? process.env.BENCH_SIDE : null;
export const SIDES: readonly Side[] = ONLY_SIDE ? [ONLY_SIDE] : ['rx', 'bare'];

export const log = (s: string): void => void process.stderr.write(s + '\n');

/** Every run's sample, by side (empty for a side that was not run). */
export type Samples = Record<Side, Sample[]>;

/**
 * Collects the garbage left by the run before (often the other side's), so that neither side pays
 * for the other's, then lets V8's background sweeping finish so that it is not counted either.
 * scripts/bench.js starts node with --expose-gc for that; without it this only waits.
 */
export async function freshHeap(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Wall-clock time and CPU time of this (the client's) process over one timed stretch. */
export interface Timed {
  wallMs: number;
  /** User + system. */
  cpuUs: number;
  /** The system (kernel) part: reads, writes, wake-ups; much the same for both sides. */
  systemUs: number;
}

/** Times `fn`. The servers are other processes: `cpuUs` is the client's alone. */
export async function timed(fn: () => Promise<void>): Promise<Timed> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, cpuUs: cpu.user + cpu.system, systemUs: cpu.system };
}

/** One run of each of `sides`, in that order (or interleaved, for a workload that says so). */
async function runOnce(w: Workload, sides: readonly Side[], env: BenchEnv): Promise<Partial<Record<Side, Sample>>> {
  if ('runInterleaved' in w) return w.runInterleaved(sides, env);
  const out: Partial<Record<Side, Sample>> = {};
  for (const side of sides) out[side] = await w.run(side, env);
  return out;
}

export async function runWorkload(w: Workload, env: BenchEnv): Promise<Samples> {
  const samples: Samples = { rx: [], bare: [] };
  const runs = w.runs ?? RUNS;
  if (w.warmUp !== false) await runOnce(w, SIDES, env);
  for (let i = 0; i < runs; i++) {
    const got = await runOnce(w, i % 2 === 0 ? SIDES : [...SIDES].reverse(), env);
    for (const side of SIDES) samples[side].push(got[side]!);
  }
  return samples;
}

/** The median over runs of one figure of a sample (NaN when the side did not run). */
export function medianOf(samples: Sample[], value: (s: Sample) => number): number {
  return samples.length ? median(samples.map(value)) : NaN;
}
