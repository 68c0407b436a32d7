/**
 * Workloads on the real `codex app-server`, run offline against the scripted model
 * (`startOfflineCodex()`): its figures are dominated by the server and the model, and show what a
 * user would see of the client's overhead.
 */
import type { OfflineCodex } from '../../src/testing/real-server';
import { BareTurns } from '../bare';
import { assert, median } from '../common';
import { timed } from '../run';
import { atMostTimesBare, type Sample, type Side, type Workload } from '../workload';

const ECHO = 'ECHO bench';
const ECHOED = 'Echo: bench';
const TURNS = 40;

/** A fresh bare client on the real server, initialized. */
async function bareReal(off: OfflineCodex): Promise<BareTurns> {
  const bare = new BareTurns(off.command, off.env, off.workspace);
  await bare.initialize();
  return bare;
}

/**
 * `turns` sequential turns on one thread of a fresh server: the median latency of a turn (ms) and
 * the client's CPU per turn (µs, over all the turns).
 */
async function sequentialRun(off: OfflineCodex, side: Side, turns: number): Promise<Sample> {
  const latencies: number[] = [];
  let cpuUs = 0;
  if (side === 'rx') {
    const client = off.client();
    try {
      const thread = await client.startThread({ cwd: off.workspace });
      for (let i = 0; i < turns; i++) {
        const t = await timed(async () => {
          const r = await thread.chatOnce(ECHO);
          assert(r.finalText === ECHOED, `rx: ${r.finalText}`);
        });
        latencies.push(t.wallMs);
        cpuUs += t.cpuUs;
      }
    } finally {
      await client.close();
    }
  } else {
    const bare = await bareReal(off);
    try {
      const threadId = await bare.startThread({ cwd: off.workspace });
      for (let i = 0; i < turns; i++) {
        const t = await timed(async () => {
          const r = await bare.turn(threadId, ECHO);
          assert(r.finalText === ECHOED && r.status === 'completed', `bare: ${r.finalText}`);
        });
        latencies.push(t.wallMs);
        cpuUs += t.cpuUs;
      }
    } finally {
      await bare.close();
    }
  }
  return { latencyMs: median(latencies), cpuUsPerTurn: cpuUs / turns };
}

/** ms from spawning the real server to the end of the first turn (initialize, thread/start, turn). */
async function coldStartRun(off: OfflineCodex, side: Side): Promise<Sample> {
  const t0 = performance.now();
  if (side === 'rx') {
    const client = off.client();
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

const µs = (samples: readonly Sample[]) => median(samples.map((s) => s.cpuUsPerTurn!)).toFixed(0);

export const realServerWorkloads: Workload[] = [
  {
    id: 'latency',
    title: `${TURNS} sequential chatOnce on one thread, real server`,
    sides: {
      rx: `\`thread.chatOnce("${ECHO}")\` ${TURNS} times, one after another, on one thread of a fresh server; the final text is checked`,
      bare: `\`turn(threadId, "${ECHO}")\` ${TURNS} times the same way (routes by thread id, keeps the steps and the final text), checked`,
    },
    run: async (side, env) => sequentialRun(await env.realServer(), side, TURNS),
    measures: [
      {
        id: 'latency',
        section: 'cpu',
        title: `per-turn latency: ${TURNS} sequential \`chatOnce\` on one thread, real server (median turn of each run)`,
        unit: 'ms',
        value: (s) => s.latencyMs!,
        target: atMostTimesBare(1.03),
        note: (rx, bare) => `client CPU per turn on the real server: codex-rx ${µs(rx)} µs, bare ${µs(bare)} µs (median of runs)`,
      },
    ],
  },
  {
    id: 'cold',
    title: 'spawn + initialize + first turn, real server',
    warmUp: false,
    sides: {
      rx: '`off.client()` then `client.chatOnce("ECHO bench", { threadConfig })`: spawn, handshake, thread/start, one turn',
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
