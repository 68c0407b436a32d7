/**
 * Workloads on the flood server (bench/flood-server.js), which answers at once and writes each
 * turn's frames as fast as the client reads them: what is measured is the client. Each run starts
 * a fresh server, initializes and starts its threads before the clock runs.
 */
import { BareTurns } from '../bare';
import { type Api, assert, bareFlood, bareTurn, framesPerTurn, median, rxFlood, rxTurn } from '../common';
import { freshHeap, timed } from '../run';
import { atLeastOfBare, atMostTimesBare, type Measure, type Sample, type Side, type Workload } from '../workload';

interface Shape {
  api: Api;
  /** Turns, each on a thread of its own, all started at once on one connection. */
  turns: number;
  deltas: number;
  items: number;
  /** Minimal frames (issue 21's cost table): no `emittedAtMs`, one-character deltas. */
  minimal?: boolean;
}

/** One run: `turns` concurrent turns through `api`; frames, turns, wall-clock ms and client CPU µs. */
async function floodRun(side: Side, { api, turns, deltas, items, minimal = false }: Shape): Promise<Sample> {
  const frames = turns * framesPerTurn(deltas, items);
  if (side === 'rx') {
    const client = await rxFlood();
    try {
      const threads = await Promise.all(Array.from({ length: turns }, () => client.startThread()));
      await freshHeap();
      const t = await timed(
        async () => void (await Promise.all(threads.map((th) => rxTurn(client, api, th.threadId, deltas, items, minimal)))),
      );
      const { stats } = client;
      assert(stats.turns === 0 && stats.pendingRequests === 0, `rx: state left ${JSON.stringify(stats)}`);
      return { frames, turns, ...t };
    } finally {
      await client.close();
    }
  }
  const bare = await bareFlood();
  try {
    const threads = await Promise.all(Array.from({ length: turns }, () => bare.startThread()));
    await freshHeap();
    const t = await timed(async () => void (await Promise.all(threads.map((th) => bareTurn(bare, api, th, deltas, items, minimal)))));
    return { frames, turns, ...t };
  } finally {
    await bare.close();
  }
}

const framesPerSecond = (s: Sample) => s.frames! / (s.wallMs! / 1000);
const cpuPerFrame = (s: Sample) => s.cpuUs! / s.frames!;
const cpuPerTurn = (s: Sample) => s.cpuUs! / s.turns!;

const rate = (id: string, title: string, min: number): Measure => ({
  id,
  section: 'throughput',
  title,
  unit: 'frames/s',
  value: framesPerSecond,
  target: atLeastOfBare(min),
});

/** The median system part of a CPU figure, per `per` (frames or turns). */
const systemNote = (per: 'frames' | 'turns') => (rx: readonly Sample[], bare: readonly Sample[]) => {
  const sys = (samples: readonly Sample[]) => median(samples.map((s) => s.systemUs! / s[per]!)).toFixed(2);
  return `of which system time: codex-rx ${sys(rx)} µs, bare ${sys(bare)} µs`;
};

const cpu = (id: string, title: string, max: number): Measure => ({
  id,
  section: 'cpu',
  title,
  unit: 'µs CPU/frame',
  value: cpuPerFrame,
  target: atMostTimesBare(max),
  note: systemNote('frames'),
});

const API_SIDES: Record<Api, Record<Side, string>> = {
  chat: {
    rx: '`client.chat(text, { threadId })`, subscribed with a callback that counts the completed steps',
    bare: '`turn()`: routes every frame by thread id, drops the deltas, keeps a step object per completed item and the final text',
  },
  events: {
    rx: '`client.chatEvents(text, { threadId })`, subscribed with a callback that counts every event (started, each delta, each step, completed)',
    bare: '`turn()` as for `chat()`, and also builds an event object per delta (ids, item type, text) and hands it to a callback that counts it',
  },
  once: {
    rx: '`client.chatOnce(text, { threadId })`; the final text is checked',
    bare: '`turn()`: routes every frame by thread id, drops the deltas, keeps a step object per completed item and the final text (the last completed agent message), which is checked',
  },
};

const floodWorkload = (id: string, title: string, shape: Shape, measures: Measure[]): Workload => ({
  id,
  title,
  sides: API_SIDES[shape.api],
  run: (side) => floodRun(side, shape),
  measures,
});

/** `n` requests sent at once to a server that answers each at once. */
async function inFlightRun(side: Side, n: number): Promise<Sample> {
  const ok = (r: unknown) => Array.isArray((r as { data?: unknown }).data);
  const client = side === 'rx' ? await rxFlood() : await bareFlood();
  // Narrowed per side: the two clients' request signatures do not unify.
  const request = client instanceof BareTurns ? () => client.request('model/list', {}) : () => client.request('model/list', {});
  try {
    let results: unknown[] = [];
    await freshHeap();
    const t = await timed(async () => {
      results = await Promise.all(Array.from({ length: n }, request));
    });
    assert(results.length === n && results.every(ok), `${side}: bad results`);
    return { requests: n, ...t };
  } finally {
    await client.close();
  }
}

export const floodWorkloads: Workload[] = [
  floodWorkload('chat', 'one turn of 100,000 deltas through chat()', { api: 'chat', turns: 1, deltas: 100_000, items: 10 }, [
    cpu('chat-cpu', 'one turn of 100,000 deltas (10 items) through `chat()`: client CPU per frame', 1.25),
    rate('chat', 'one turn of 100,000 deltas through `chat()`', 0.7),
  ]),
  floodWorkload('events', 'one turn of 100,000 deltas through chatEvents()', { api: 'events', turns: 1, deltas: 100_000, items: 10 }, [
    cpu('events-cpu', 'the same through `chatEvents()` (every delta emitted): client CPU per frame', 1.4),
    rate('events', 'the same through `chatEvents()` (every delta emitted)', 0.6),
  ]),
  floodWorkload('once', '1,000 concurrent turns x 100 deltas through chatOnce()', { api: 'once', turns: 1_000, deltas: 100, items: 2 }, [
    cpu('once-cpu', '1,000 concurrent turns × 100 deltas (2 items), one thread each, through `chatOnce()`: client CPU per frame', 1.5),
  ]),
  floodWorkload('setup', '1,000 concurrent turns with no deltas through chatOnce()', { api: 'once', turns: 1_000, deltas: 0, items: 1 }, [
    {
      id: 'setup',
      section: 'cpu',
      title: 'per-turn set-up: 1,000 concurrent turns with no deltas (1 item), one thread each, through `chatOnce()`: client CPU per turn',
      unit: 'µs CPU/turn',
      value: cpuPerTurn,
      target: atMostTimesBare(2),
      note: systemNote('turns'),
    },
  ]),
  floodWorkload('concurrent', '1,000 concurrent turns x 100 deltas through chat()', { api: 'chat', turns: 1_000, deltas: 100, items: 2 }, [
    {
      ...rate('concurrent', '1,000 concurrent turns × 100 deltas, one thread each, one connection, through `chat()`', 0.6),
      note: (rx, bare) => {
        const [r, b] = [median(rx.map(cpuPerFrame)), median(bare.map(cpuPerFrame))];
        return `client CPU per frame through \`chat()\`: codex-rx ${r.toFixed(2)} µs, bare ${b.toFixed(2)} µs (${(r / b).toFixed(2)} × bare)`;
      },
    },
  ]),
  // Issue 21's cost table, on minimal frames (parsing hides less of the client's own cost).
  floodWorkload(
    'chat-min',
    'minimal frames: one turn of 100,000 deltas through chat()',
    { api: 'chat', turns: 1, deltas: 100_000, items: 10, minimal: true },
    [cpu('chat-min-cpu', 'minimal frames: one turn of 100,000 deltas through `chat()`: client CPU per frame', 1.15)],
  ),
  floodWorkload(
    'events-min',
    'minimal frames: the same through chatEvents()',
    { api: 'events', turns: 1, deltas: 100_000, items: 10, minimal: true },
    [cpu('events-min-cpu', 'minimal frames: the same through `chatEvents()`: client CPU per frame', 1.3)],
  ),
  floodWorkload(
    'once-min',
    'minimal frames: 1,000 concurrent turns x 100 deltas through chatOnce()',
    { api: 'once', turns: 1_000, deltas: 100, items: 2, minimal: true },
    [cpu('once-min-cpu', 'minimal frames: 1,000 concurrent turns × 100 deltas through `chatOnce()`: client CPU per frame', 1.3)],
  ),
  floodWorkload(
    'concurrent-min',
    'minimal frames: 1,000 concurrent turns x 100 deltas through chat()',
    { api: 'chat', turns: 1_000, deltas: 100, items: 2, minimal: true },
    [cpu('concurrent-min-cpu', 'minimal frames: 1,000 concurrent turns × 100 deltas through `chat()`: client CPU per frame', 1.3)],
  ),
  floodWorkload(
    'setup-min',
    'minimal frames: 1,000 concurrent turns with no deltas through chatOnce()',
    { api: 'once', turns: 1_000, deltas: 0, items: 1, minimal: true },
    [
      {
        id: 'setup-min',
        section: 'cpu',
        title: 'minimal frames: per-turn set-up, 1,000 concurrent turns with no deltas through `chatOnce()`: client CPU per turn',
        unit: 'µs CPU/turn',
        value: cpuPerTurn,
        target: atMostTimesBare(1.75),
        note: systemNote('turns'),
      },
    ],
  ),
  {
    id: 'requests',
    title: '10,000 requests in flight',
    sides: {
      rx: '`client.request("model/list", {})` 10,000 times at once, then awaits them all',
      bare: '`request("model/list", {})` 10,000 times at once (an id, a pending Map entry, a line written each), then awaits them all',
    },
    run: (side) => inFlightRun(side, 10_000),
    measures: [
      {
        id: 'requests',
        section: 'throughput',
        title: '10,000 requests in flight at once',
        unit: 'requests/s',
        value: (s) => s.requests! / (s.wallMs! / 1000),
        target: atLeastOfBare(0.6),
      },
    ],
  },
];
