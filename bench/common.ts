/** Shared bits of the benchmark harness: paths, both clients on the flood server, one turn through either, statistics. */
import * as path from 'node:path';
import type { Observable } from 'rxjs';
import { CodexClient } from '../src/client';
import type { StdioOptions } from '../src/options';
import { BareTurns } from './bare';

/** The repository root (this file runs from .bench-build/bench/). */
export const ROOT = path.resolve(__dirname, '..', '..');
export const FLOOD_SERVER = path.join(ROOT, 'bench', 'flood-server.js');
export const FLOOD_COMMAND = [process.execPath, FLOOD_SERVER];

/** A started and initialized codex-rx client on a fresh flood server. */
export async function rxFlood(options: StdioOptions = {}): Promise<CodexClient> {
  const client = CodexClient.connectStdio({ command: FLOOD_COMMAND, ...options });
  await client.initialize();
  return client;
}

/** A started and initialized bare client on a fresh flood server. */
export async function bareFlood(): Promise<BareTurns> {
  const bare = new BareTurns(FLOOD_COMMAND);
  await bare.initialize();
  return bare;
}

/** The flood server's instruction for a turn of `deltas` deltas spread over `items` agent messages. */
export const floodText = (deltas: number, items: number, minimal = false) => `FLOOD ${deltas} ${items}${minimal ? ' MIN' : ''}`;

/** Frames the flood server sends for one turn (turn/started + deltas + item/completed + turn/completed). */
export const framesPerTurn = (deltas: number, items: number) => deltas + items + 2;

/**
 * How a turn is consumed: `chat()` (completed steps), `chatEvents()` (every delta too) or
 * `chatOnce()` (the final text).
 */
export type Api = 'chat' | 'events' | 'once';

/**
 * One codex-rx turn of the flood server through `api`, to its end, checked. The subscriber only
 * counts what it gets: a callback per value, as the bare side's.
 */
export function rxTurn(client: CodexClient, api: Api, threadId: string, deltas: number, items: number, minimal = false): Promise<void> {
  const text = floodText(deltas, items, minimal);
  if (api === 'once') {
    return client.chatOnce(text, { threadId }).then((r) => {
      assert(r.finalText === `message ${items - 1} of ${r.turnId}`, `rx chatOnce: ${r.finalText}`);
    });
  }
  const expected = api === 'chat' ? items : framesPerTurn(deltas, items);
  return new Promise((resolve, reject) => {
    let n = 0;
    const turn$: Observable<unknown> = api === 'chat' ? client.chat(text, { threadId }) : client.chatEvents(text, { threadId });
    turn$.subscribe({
      next: () => void n++,
      error: reject,
      complete: () => (n === expected ? resolve() : reject(new Error(`rx ${api}: ${n} values, expected ${expected}`))),
    });
  });
}

/**
 * The same turn through the bare client: it always collects the completed steps and the final
 * text; with `events` it also builds an event object per delta and hands it to a callback.
 */
export async function bareTurn(bare: BareTurns, api: Api, threadId: string, deltas: number, items: number, minimal = false): Promise<void> {
  let n = 0;
  const r = await bare.turn(threadId, floodText(deltas, items, minimal), api === 'events' ? () => void n++ : null);
  assert(r.status === 'completed' && r.steps.length === items, `bare: ${r.status}, ${r.steps.length} steps`);
  assert(api !== 'events' || n === deltas, `bare: ${n} deltas`);
  assert(r.finalText === `message ${items - 1} of ${r.turnId}`, `bare: ${r.finalText}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`benchmark sanity check failed: ${message}`);
}
