/**
 * What keeping a link alive costs per frame (issue 16, after issue 13): the same WebSocket turn
 * through codex-rx with `reconnect` and a heartbeat, and through codex-rx with neither. Here the
 * "bare" side is codex-rx too, without the bookkeeping: the row isolates what reconnect and the
 * heartbeat add to the frame path, which by design is nothing (the heartbeat is one timer, the
 * link gate is looked at per request, not per frame).
 */
import { spawn } from 'node:child_process';
import { CodexClient } from '../../src/client';
import { FLOOD_SERVER, framesPerTurn, rxTurn } from '../common';
import { freshHeap, timed } from '../run';
import { atMostTimesBare, type Sample, type Side, type Workload } from '../workload';

const DELTAS = 100_000;
const ITEMS = 10;

/** The flood server over a WebSocket (FLOOD_WS=1); resolves with its port and a way to stop it. */
async function wsFloodServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [FLOOD_SERVER], { env: { ...process.env, FLOOD_WS: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => child.stdin.end() };
}

async function linkRun(side: Side): Promise<Sample> {
  const server = await wsFloodServer();
  const kept = side === 'rx';
  const client = CodexClient.connectWebSocket({
    url: server.url,
    // The heartbeat at 1 s so that it beats several times during the turn.
    ...(kept ? { reconnect: true, heartbeatMs: 1_000 } : { reconnect: false, heartbeatMs: null }),
  });
  try {
    await client.initialize();
    const thread = await client.startThread();
    await freshHeap();
    const t = await timed(() => rxTurn(client, 'chat', thread.threadId, DELTAS, ITEMS));
    return { frames: framesPerTurn(DELTAS, ITEMS), ...t };
  } finally {
    await client.close();
    server.stop();
  }
}

export const linkWorkloads: readonly Workload[] = [
  {
    id: 'links',
    title: 'one turn of 100,000 deltas over a WebSocket, with and without reconnect + heartbeat',
    sides: {
      rx: '`CodexClient.connectWebSocket({ reconnect: true, heartbeatMs: 1_000 })` to the flood server over a WebSocket (one frame per message), one turn through `chat()`',
      bare: 'codex-rx again, the same turn over the same kind of server, with `reconnect: false, heartbeatMs: null`',
    },
    run: linkRun,
    measures: [
      {
        id: 'links',
        section: 'cpu',
        title:
          'link bookkeeping: one turn of 100,000 deltas over a WebSocket through `chat()` with `reconnect` and a 1 s heartbeat; the "bare" column is codex-rx without either: client CPU per frame',
        unit: 'µs CPU/frame',
        value: (s) => s.cpuUs! / s.frames!,
        target: atMostTimesBare(1.05),
      },
    ],
  },
];
