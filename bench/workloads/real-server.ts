/**
 * Workloads on the real `codex app-server`, run offline against the scripted model
 * (`startOfflineCodex()`, hosted in a process of its own): its figures are dominated by the server
 * and the model, and show what a user would see of the client's overhead.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { BareTurns } from '../bare';
import { assert, median } from '../common';
import { freshHeap, timed } from '../run';
import { atMostTimesBare, type RealServer, type Sample, type Side, type Workload } from '../workload';

/** Starts bench/workloads/real-server-host.ts (with `execServers` exec-servers beside it) and waits for its launch details. */
export function startRealServer(execServers = 0): Promise<RealServer> {
  const args = [path.join(__dirname, 'real-server-host.js'), ...(execServers ? ['--exec-servers', String(execServers)] : [])];
  const host = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => host.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    host.stdout.setEncoding('utf8');
    host.stdout.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const launch = JSON.parse(out.slice(0, nl)) as Omit<RealServer, 'dispose'>;
      resolve({ ...launch, dispose: () => (host.stdin.end(), exited) });
    });
    host.once('error', reject);
    host.once('close', (code) => reject(new Error(`real-server host exited with ${code} before it was ready`)));
  });
}

const ECHO = 'ECHO bench';
const ECHOED = 'Echo: bench';
const TURNS = 40;

/** A codex-rx client (unstarted) on a fresh real server, launched as `startOfflineCodex().client()` does. */
const rxReal = (off: RealServer) => CodexClient.connectStdio({ command: off.command, env: off.env, cwd: off.workspace });

/** A fresh bare client on the real server, initialized. */
async function bareReal(off: RealServer): Promise<BareTurns> {
  const bare = new BareTurns(off.command, off.env, off.workspace);
  await bare.initialize();
  return bare;
}

/** A client of either side on a fresh real server with a thread started: `turn()` runs one checked turn on it. */
interface TurnTaker {
  turn(): Promise<void>;
  close(): Promise<void>;
}

async function turnTaker(off: RealServer, side: Side): Promise<TurnTaker> {
  if (side === 'rx') {
    const client = rxReal(off);
    const thread = await client.startThread({ cwd: off.workspace });
    return {
      turn: async () => {
        const r = await thread.chatOnce(ECHO);
        assert(r.finalText === ECHOED, `rx: ${r.finalText}`);
      },
      close: () => client.close(),
    };
  }
  const bare = await bareReal(off);
  const threadId = await bare.startThread({ cwd: off.workspace });
  return {
    turn: async () => {
      const r = await bare.turn(threadId, ECHO);
      assert(r.finalText === ECHOED && r.status === 'completed', `bare: ${r.finalText}`);
    },
    close: () => bare.close(),
  };
}

/**
 * `turns` sequential turns per side, each side on one thread of a server of its own, the sides
 * taking turns (alternating which goes first), so that both see the same moments of a shared
 * machine: per side, the median latency of a turn (ms) and the client's CPU per turn (µs).
 */
async function interleavedRun(off: RealServer, sides: readonly Side[], turns: number): Promise<Partial<Record<Side, Sample>>> {
  const takers: Partial<Record<Side, TurnTaker>> = {};
  const latencies: Record<Side, number[]> = { rx: [], bare: [] };
  const cpuUs: Record<Side, number> = { rx: 0, bare: 0 };
  const systemUs: Record<Side, number> = { rx: 0, bare: 0 };
  try {
    for (const side of sides) takers[side] = await turnTaker(off, side);
    await freshHeap();
    for (let i = 0; i < turns; i++) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        const t = await timed(() => takers[side]!.turn());
        latencies[side].push(t.wallMs);
        cpuUs[side] += t.cpuUs;
        systemUs[side] += t.systemUs;
      }
    }
  } finally {
    await Promise.all(Object.values(takers).map((t) => t.close()));
  }
  const out: Partial<Record<Side, Sample>> = {};
  for (const side of sides)
    out[side] = { latencyMs: median(latencies[side]), cpuUsPerTurn: cpuUs[side] / turns, systemUsPerTurn: systemUs[side] / turns };
  return out;
}

/** ms from spawning the real server to the end of the first turn (initialize, thread/start, turn). */
async function coldStartRun(off: RealServer, side: Side): Promise<Sample> {
  await freshHeap();
  const t0 = performance.now();
  if (side === 'rx') {
    const client = rxReal(off);
    try {
      const r = await client.chatOnce(ECHO, { threadConfig: { cwd: off.workspace } });
      const ms = performance.now() - t0;
      assert(r.finalText === ECHOED, `rx: ${r.finalText}`);
      return { ms };
    } finally {
      await client.close();
    }
  }
  const bare = await bareReal(off);
  try {
    const threadId = await bare.startThread({ cwd: off.workspace });
    const r = await bare.turn(threadId, ECHO);
    const ms = performance.now() - t0;
    assert(r.finalText === ECHOED, `bare: ${r.finalText}`);
    return { ms };
  } finally {
    await bare.close();
  }
}

const µs = (samples: readonly Sample[], key: string) => median(samples.map((s) => s[key]!)).toFixed(0);

export const realServerWorkloads: Workload[] = [
  {
    id: 'latency',
    title: `${TURNS} sequential chatOnce on one thread, real server, the sides taking turns`,
    sides: {
      rx:
        `\`thread.chatOnce("${ECHO}")\` ${TURNS} times, one after another, on one thread of a fresh server; the final text is checked. ` +
        'The two sides run at the same time on servers of their own, taking turns (which side goes first alternates)',
      bare: `\`turn(threadId, "${ECHO}")\` ${TURNS} times the same way (routes by thread id, keeps the steps and the final text), checked`,
    },
    runInterleaved: async (sides, env) => interleavedRun(await env.realServer(), sides, TURNS),
    measures: [
      {
        id: 'latency',
        section: 'cpu',
        title: `per-turn latency: ${TURNS} sequential \`chatOnce\` on one thread, real server (median turn of each run)`,
        unit: 'ms',
        value: (s) => s.latencyMs!,
        target: atMostTimesBare(1.03),
        note: (rx, bare) =>
          `client CPU per turn on the real server: codex-rx ${µs(rx, 'cpuUsPerTurn')} µs, bare ${µs(bare, 'cpuUsPerTurn')} µs ` +
          `(of which system time: ${µs(rx, 'systemUsPerTurn')} and ${µs(bare, 'systemUsPerTurn')} µs)`,
      },
    ],
  },
  {
    id: 'cold',
    title: 'spawn + initialize + first turn, real server',
    warmUp: false,
    sides: {
      rx: '`CodexClient.connectStdio(...)` then `client.chatOnce("ECHO bench", { threadConfig })`: spawn, handshake, thread/start, one turn',
      bare: 'spawn, `initialize`/`initialized`, `thread/start`, one turn',
    },
    run: async (side, env) => coldStartRun(await env.realServer(), side),
    measures: [
      {
        id: 'cold',
        section: 'throughput',
        title: 'spawn + initialize + first turn, real server',
        unit: 'ms',
        value: (s) => s.ms!,
        target: atMostTimesBare(1.2),
      },
    ],
  },
];
