/** Shared bits of the benchmark harness: paths, clients against the flood server, statistics. */
import * as path from 'node:path';
import { count, lastValueFrom } from 'rxjs';
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

/** Frames the flood server sends for one turn (turn/started + deltas + item/completed + turn/completed). */
export const framesPerTurn = (deltas: number, items: number) => deltas + items + 2;

/** One codex-rx turn through chat(), to completion; resolves with the number of steps. */
export function rxChat(client: CodexClient, threadId: string, text: string): Promise<number> {
  return lastValueFrom(client.chat(text, { threadId }).pipe(count()));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const now = (): number => performance.now();

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`benchmark sanity check failed: ${message}`);
}
