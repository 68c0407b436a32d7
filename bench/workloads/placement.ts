/**
 * Remote environments (issue 26): the client's CPU per turn on a thread placed on an exec-server
 * against one on a local thread, both codex-rx, on the same real server, turns alternating; the
 * bare NDJSON loop's (local) beside them. Client-side only: the app-server, the exec-server and the
 * model are other processes, and `process.cpuUsage()` counts this one.
 */
import { CodexClient } from '../../src/client';
import { BareTurns } from '../bare';
import { assert, median } from '../common';
import { freshHeap, timed } from '../run';
import { ownAtMost, type RealServer, type Sample, type Side, type Workload } from '../workload';

const ECHO = 'ECHO bench';
const ECHOED = 'Echo: bench';
const TURNS = 80;

interface Taker {
  turn(): Promise<void>;
  close(): Promise<void>;
}

/** A codex-rx client with one thread, placed on the exec-server or local. */
async function rxTaker(off: RealServer, placed: boolean): Promise<Taker> {
  const client = CodexClient.connectStdio({ command: off.command, env: off.env, cwd: off.workspace, experimentalApi: true });
  const exec = off.execServers[0]!;
  if (placed) await client.addEnvironment({ id: exec.id, url: exec.url });
  const thread = await client.startThread(
    placed ? { environments: [{ environmentId: exec.id, cwd: exec.workspace }] } : { cwd: off.workspace },
  );
  return {
    turn: async () => {
      const r = await thread.chatOnce(ECHO);
      assert(r.finalText === ECHOED, `rx: ${r.finalText}`);
    },
    close: () => client.close(),
  };
}

async function bareTaker(off: RealServer): Promise<Taker> {
  const bare = new BareTurns(off.command, off.env, off.workspace);
  await bare.initialize();
  const threadId = await bare.startThread({ cwd: off.workspace });
  return {
    turn: async () => {
      const r = await bare.turn(threadId, ECHO);
      assert(r.finalText === ECHOED && r.status === 'completed', `bare: ${r.finalText}`);
    },
    close: () => bare.close(),
  };
}

/** `TURNS` turns per taker, the takers taking turns (the order rotating), each on a server of its own. */
async function run(off: RealServer, sides: readonly Side[]): Promise<Partial<Record<Side, Sample>>> {
  const takers: Record<string, Taker> = {};
  const cpu: Record<string, number> = {};
  try {
    if (sides.includes('rx')) {
      takers.placed = await rxTaker(off, true);
      takers.local = await rxTaker(off, false);
    }
    if (sides.includes('bare')) takers.bare = await bareTaker(off);
    const names = Object.keys(takers);
    for (const n of names) cpu[n] = 0;
    await freshHeap();
    for (let i = 0; i < TURNS; i++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(i + k) % names.length]!;
        cpu[n]! += (await timed(() => takers[n]!.turn())).cpuUs;
      }
    }
  } finally {
    await Promise.all(Object.values(takers).map((t) => t.close()));
  }
  const out: Partial<Record<Side, Sample>> = {};
  if (sides.includes('rx')) {
    out.rx = { placedUs: cpu.placed! / TURNS, localUs: cpu.local! / TURNS, placedOverLocal: cpu.placed! / cpu.local! };
  }
  if (sides.includes('bare')) out.bare = { bareUs: cpu.bare! / TURNS, placedOverLocal: NaN };
  return out;
}

const µs = (samples: readonly Sample[], key: string) => median(samples.map((s) => s[key]!)).toFixed(0);

export const placementWorkloads: Workload[] = [
  {
    id: 'placed',
    title: `${TURNS} chatOnce on a thread placed on an exec-server vs ${TURNS} on a local thread, real server, alternating`,
    sides: {
      rx:
        `two clients (\`experimentalApi\`) on servers of their own: one thread placed with \`environments\` on an offline ` +
        `exec-server (\`addEnvironment\`), one local; \`thread.chatOnce("${ECHO}")\` ${TURNS} times each, the threads taking turns, checked. ` +
        'The figure is placed / local of the client CPU per turn (process.cpuUsage of the client process)',
      bare: `\`turn(threadId, "${ECHO}")\` ${TURNS} times on a local thread, interleaved with the two codex-rx threads (its CPU per turn in the note)`,
    },
    runInterleaved: async (sides, env) => run(await env.placedServer(), sides),
    measures: [
      {
        id: 'placed',
        section: 'cpu',
        title: `client CPU per turn, a placed thread / a local one: ${TURNS} \`chatOnce\` each, real server + exec-server`,
        unit: '×',
        value: (s) => s.placedOverLocal!,
        target: ownAtMost(1.05, '≤ 1.05 × local'),
        note: (rx, bare) =>
          `client CPU per turn: placed ${µs(rx, 'placedUs')} µs, local ${µs(rx, 'localUs')} µs, bare NDJSON loop (local) ${µs(bare, 'bareUs')} µs`,
      },
    ],
  },
];
