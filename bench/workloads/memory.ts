/**
 * Memory workloads: each run in a child process of its own (bench/workloads/memory-child.ts), so
 * that peak RSS and heap size are the workload's alone.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { median } from '../common';
import { atMostTimesBare, ownAtMost, type Sample, type Side, type Workload } from '../workload';

const RSS_DELTAS = 500_000;
const HEAP_TURNS = 5_000;

function runChild(args: string[], nodeFlags: string[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, path.join(__dirname, 'memory-child.js'), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`memory child ${args.join(' ')} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const heapNote = (samples: readonly Sample[]) =>
  `${mb(median(samples.map((s) => s.at100!))).toFixed(2)} → ${mb(median(samples.map((s) => s.atEnd!))).toFixed(2)} MB`;

export const memoryWorkloads: Workload[] = [
  {
    id: 'rss',
    title: `peak RSS, one turn of ${RSS_DELTAS.toLocaleString('en-US')} deltas through chat() (own process each)`,
    warmUp: false,
    sides: {
      rx: 'a fresh node process: connect, initialize, start a thread, one turn through `chat()` (10 items), close',
      bare: 'a fresh node process: the same through the bare client',
    },
    run: async (side: Side) => ({ rssMb: ((await runChild(['rss', side, String(RSS_DELTAS)])).maxRssKb as number) / 1024 }),
    measures: [
      {
        id: 'rss',
        section: 'cpu',
        title: `peak RSS of a process that runs one turn of ${RSS_DELTAS.toLocaleString('en-US')} deltas through \`chat()\``,
        unit: 'MB',
        value: (s) => s.rssMb!,
        target: atMostTimesBare(1.2),
      },
    ],
  },
  {
    id: 'heap',
    title: `${HEAP_TURNS.toLocaleString('en-US')} sequential turns on one client: heap after GC (one run per side)`,
    runs: 1,
    warmUp: false,
    sides: {
      rx: `a fresh node process: \`thread.chatOnce("FLOOD 20 1")\` ${HEAP_TURNS.toLocaleString('en-US')} times on one thread; heap after 4 × \`gc()\` at turn 100 and at the end`,
      bare: 'the same through the bare client',
    },
    run: async (side: Side): Promise<Sample> => {
      const r = await runChild(['heap', side, String(HEAP_TURNS)], ['--expose-gc']);
      const { at100, atEnd } = r as { at100: number; atEnd: number };
      return { at100, atEnd, growth: atEnd / at100 };
    },
    measures: [
      {
        id: 'heap',
        section: 'throughput',
        title: `${HEAP_TURNS.toLocaleString('en-US')} sequential \`chatOnce\` on one client: heap after GC, turn ${HEAP_TURNS.toLocaleString('en-US')} / turn 100`,
        unit: '×',
        value: (s) => s.growth!,
        target: ownAtMost(1.1, 'codex-rx within 10% of its turn 100'),
        note: (rx, bare) =>
          `heap after GC, turn 100 → turn ${HEAP_TURNS.toLocaleString('en-US')}: codex-rx ${heapNote(rx)}; bare ${heapNote(bare)}`,
      },
    ],
  },
];
