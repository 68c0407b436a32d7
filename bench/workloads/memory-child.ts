/**
 * The memory workloads' child process: each figure in a process of its own, so that one does not
 * inherit another's heap (bench/workloads/memory.ts runs it):
 *
 *   node memory-child.js rss rx|bare <deltas>               one turn through chat(); peak RSS
 *   node --expose-gc memory-child.js heap rx|bare <turns>   sequential turns; heap after GC at turn 100 and at the end
 *
 * Prints one JSON line on stdout.
 */
import { assert, bareFlood, bareTurn, rxFlood, rxTurn } from '../common';

const ITEMS = 10;
const SMALL_TURN = 'FLOOD 20 1';

async function rss(side: string, deltas: number): Promise<object> {
  if (side === 'rx') {
    const client = await rxFlood();
    const thread = await client.startThread();
    await rxTurn(client, 'chat', thread.threadId, deltas, ITEMS);
    await client.close();
  } else {
    const bare = await bareFlood();
    await bareTurn(bare, 'chat', await bare.startThread(), deltas, ITEMS);
    await bare.close();
  }
  return { maxRssKb: process.resourceUsage().maxRSS };
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert(gc, 'run with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function heap(side: string, turns: number): Promise<object> {
  const marks: Record<number, number> = {};
  const mark = (done: number) => {
    if (done === 100 || done === turns) marks[done] = heapAfterGc();
  };
  if (side === 'rx') {
    const client = await rxFlood();
    const thread = await client.startThread();
    for (let i = 1; i <= turns; i++) {
      const r = await thread.chatOnce(SMALL_TURN);
      assert(r.finalText === `message 0 of ${r.turnId}`, `rx turn ${i}: ${r.finalText}`);
      mark(i);
    }
    // Nothing of 5,000 ended turns may be left behind.
    const stats = client.stats;
    assert(
      Object.values(stats).every((v) => v === 0),
      `rx: state left ${JSON.stringify(stats)}`,
    );
    await client.close();
    return { at100: marks[100], atEnd: marks[turns] };
  }
  const bare = await bareFlood();
  const threadId = await bare.startThread();
  for (let i = 1; i <= turns; i++) {
    const r = await bare.turn(threadId, SMALL_TURN);
    assert(r.finalText === `message 0 of ${r.turnId}`, `bare turn ${i}: ${r.finalText}`);
    mark(i);
  }
  await bare.close();
  return { at100: marks[100], atEnd: marks[turns] };
}

async function main(): Promise<void> {
  const [kind, side, nStr] = process.argv.slice(2);
  const n = Number(nStr);
  assert(side === 'rx' || side === 'bare', `side ${side}`);
  assert(Number.isFinite(n) && n > 0, `count ${nStr}`);
  const out = kind === 'rss' ? await rss(side, n) : kind === 'heap' ? await heap(side, n) : null;
  assert(out, `kind ${kind}`);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
