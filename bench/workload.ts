/**
 * A workload as data: how to run one side once, and which figures (rows of the table) to take from
 * the runs, each with its target. The workloads themselves are in bench/workloads/.
 */
export type Side = 'rx' | 'bare';

/** What one run of one side measured (e.g. frames, wall-clock ms, client CPU µs); rows derive their figures from it. */
export type Sample = Readonly<Record<string, number>>;

/** How to launch the real app-server offline: its model and CODEX_HOME live in another process. */
export interface RealServer {
  readonly command: string[];
  readonly env: Record<string, string>;
  /** An empty directory for the threads' cwd. */
  readonly workspace: string;
  /** The offline exec-servers started beside it (`placedServer()`), else empty. */
  readonly execServers: ReadonlyArray<{ readonly id: string; readonly url: string; readonly workspace: string }>;
  dispose(): Promise<void>;
}

/** Shared resources a run may need, made on first use and disposed after the last workload. */
export interface BenchEnv {
  realServer(): Promise<RealServer>;
  /** A real server with one offline exec-server beside it (remote environments). */
  placedServer(): Promise<RealServer>;
}

export interface Target {
  /** As printed, e.g. `≤ 1.25 × bare`. */
  readonly text: string;
  /** Judged on codex-rx / bare (the median of the runs' ratios), or on codex-rx's figure alone. */
  readonly on: 'ratio' | 'rx';
  met(x: number): boolean;
}

/** Which table a row belongs to. */
export type Section = 'cpu' | 'throughput';

/** One row of the table: a figure of the workload's samples, the median over runs per side. */
export interface Measure {
  /** Unique row id (the workload's id, or the workload's id with a suffix). */
  readonly id: string;
  readonly section: Section;
  readonly title: string;
  readonly unit: string;
  value(sample: Sample): number;
  readonly target: Target;
  /** Extra information printed under the table. */
  note?(rx: readonly Sample[], bare: readonly Sample[]): string;
}

interface WorkloadBase {
  /** What BENCH_ONLY selects. */
  readonly id: string;
  /** Printed while it runs. */
  readonly title: string;
  /** What each side does in one run, for BENCHMARKS.md. */
  readonly sides: Readonly<Record<Side, string>>;
  /** Runs per side (default BENCH_RUNS). */
  readonly runs?: number;
  /** An untimed run per side first (default true). */
  readonly warmUp?: boolean;
  readonly measures: readonly Measure[];
}

export type Workload = WorkloadBase &
  (
    | {
        /** One run of one side. */
        run(side: Side, env: BenchEnv): Promise<Sample>;
      }
    | {
        /**
         * One run of the given sides together, their steps interleaved in that order (so that both
         * see the same load on a shared machine); a sample per side.
         */
        runInterleaved(sides: readonly Side[], env: BenchEnv): Promise<Partial<Record<Side, Sample>>>;
      }
  );

/** codex-rx at most `k` times bare (costs: CPU, memory, latency). */
export const atMostTimesBare = (k: number): Target => ({
  text: `≤ ${k.toFixed(2)} × bare`,
  on: 'ratio',
  met: (ratio) => ratio <= k,
});

/** codex-rx at least `k` of bare (rates: frames/s, requests/s). */
export const atLeastOfBare = (k: number): Target => ({
  text: `≥ ${k} of bare`,
  on: 'ratio',
  met: (ratio) => ratio >= k,
});

/** For a figure that is itself a ratio (e.g. growth): codex-rx's at most `k`; no ratio column. */
export const ownAtMost = (k: number, text: string): Target => ({
  text,
  on: 'rx',
  met: (rx) => rx <= k,
});
