/**
 * The reconnect storm's machinery (spec/e2e/reconnect-storm-*.e2e.spec.ts, one file per transport so
 * that the two storms run in parallel jest workers): 20 chats in flight while a proxy cuts the link
 * every 100–500 ms for `CODEX_RX_STORM_MS` (default 40 s), then every chat's turn compared with what
 * the server stored. See the spec files for the claims.
 */
import * as fs from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import type { CodexClient } from '../../src/client';
import type { TurnEvent } from '../../src/models';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import type { ListeningServer } from './listening-server';
import type { TcpProxy } from './tcp-proxy';

export const STORM_MS = Number(process.env.CODEX_RX_STORM_MS ?? 40_000);
const CHATS = 20;
export const TOKEN = 'codex-rx-storm-token';

/** A storm spec's timeout: the storm, then the comparison and the server's start and stop. */
export const STORM_TIMEOUT_MS = STORM_MS + 180_000;

/** What one chat got. */
interface Outcome {
  readonly kind: 'chat' | 'chatEvents' | 'chatOnce';
  readonly prompt: string;
  /** The answer the scripted model gives the prompt. */
  readonly expected: string;
  readonly threadId: string;
  turnId?: string;
  /** Item ids of the steps (chatOnce: of the item/completed events of its result), in order. */
  itemIds: string[];
  finalText?: string;
  error?: string;
}

interface StoredTurn {
  id: string;
  status: string;
  items: Array<{ id: string; type: string; text?: string; content?: Array<{ text?: string }> }>;
}

/** The storm's figures. */
interface StormFigures {
  transport: string;
  stormMs: number;
  cuts: number;
  settled: number;
  completed: number;
  failed: number;
  failures: Record<string, number>;
  /** The first few failures' messages, for the record. */
  failureMessages: string[];
  /** Completed chats whose steps lack stored items (or whose turn is not stored). */
  lost: number;
  /** Turns holding more than one prompt, or chats that got another prompt's answer or turn. */
  merged: number;
  /** Items delivered twice in one chat, or a prompt that made two stored turns. */
  duplicated: number;
  /** Completed chats whose steps differ from the stored items in any other way (order, extra). */
  mismatched: number;
}

const kinds = ['chat', 'chatEvents', 'chatOnce'] as const;

function promptFor(worker: number, n: number): { prompt: string; expected: string } {
  const tag = `w${worker}-n${n}`;
  switch (n % 3) {
    case 0:
      return { prompt: `ECHO ${tag}`, expected: `Echo: ${tag}` };
    case 1:
      return { prompt: `SLOW 300 ${tag}`, expected: tag };
    default:
      return { prompt: `STREAM 5 ${tag}`, expected: tag };
  }
}

async function runChat(client: CodexClient, threadId: string, kind: Outcome['kind'], prompt: string, expected: string): Promise<Outcome> {
  const out: Outcome = { kind, prompt, expected, threadId, itemIds: [] };
  try {
    if (kind === 'chat') {
      const steps = await lastValueFrom(client.chat(prompt, { threadId }).pipe(toArray()));
      out.turnId = steps[0]?.turnId;
      out.itemIds = steps.map((s) => s.itemId ?? '');
      out.finalText = steps.filter((s) => s.stepType === 'codex').pop()?.text ?? '';
    } else if (kind === 'chatEvents') {
      const events = await lastValueFrom(client.chatEvents(prompt, { threadId }).pipe(toArray()));
      const completed = events.find((e): e is Extract<TurnEvent, { type: 'completed' }> => e.type === 'completed');
      out.turnId = events[0]?.turnId;
      out.itemIds = events.flatMap((e) => (e.type === 'step' ? [e.step.itemId ?? ''] : []));
      out.finalText = completed?.result.finalText;
    } else {
      const result = await client.chatOnce(prompt, { threadId });
      out.turnId = result.turnId;
      out.finalText = result.finalText;
      out.itemIds = result.rawEvents.flatMap((e) => {
        const f = e as { method?: string; params?: { item?: { id?: string } } };
        return f.method === 'item/completed' && f.params?.item?.id ? [f.params.item.id] : [];
      });
    }
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    out.error = `${e.name ?? 'Error'}${e.code ? `(${e.code})` : ''}: ${e.message ?? String(err)}`;
  }
  return out;
}

/** Every stored turn of the thread, oldest first. */
async function storedTurns(reader: CodexClient, threadId: string): Promise<StoredTurn[]> {
  const turns: StoredTurn[] = [];
  let cursor: string | null = null;
  do {
    const page = (await reader.request('thread/turns/list', {
      threadId,
      sortDirection: 'asc',
      limit: 50,
      itemsView: 'full',
      ...(cursor ? { cursor } : {}),
    })) as { data: StoredTurn[]; nextCursor: string | null };
    turns.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return turns;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function storm(transport: string, client: CodexClient, proxy: TcpProxy, reader: () => CodexClient): Promise<StormFigures> {
  await client.initialize();
  const threads = await Promise.all(Array.from({ length: CHATS }, () => client.startThread()));
  const end = Date.now() + STORM_MS;
  let cuts = 0;
  const cutter = (async () => {
    while (Date.now() < end) {
      await sleep(100 + Math.random() * 400);
      proxy.cut();
      cuts++;
    }
  })();
  const outcomes: Outcome[] = [];
  await Promise.all(
    threads.map(async (thread, w) => {
      for (let n = 0; Date.now() < end; n++) {
        const { prompt, expected } = promptFor(w, n);
        outcomes.push(await runChat(client, thread.threadId, kinds[(n + w) % 3]!, prompt, expected));
      }
    }),
  );
  await cutter;

  const r = reader();
  const stored = new Map<string, StoredTurn[]>();
  try {
    for (const thread of threads) stored.set(thread.threadId, await storedTurns(r, thread.threadId));
  } finally {
    await r.close();
  }
  return figures(transport, cuts, outcomes, stored);
}

function figures(transport: string, cuts: number, outcomes: Outcome[], stored: Map<string, StoredTurn[]>): StormFigures {
  const f: StormFigures = {
    transport,
    stormMs: STORM_MS,
    cuts,
    settled: outcomes.length,
    completed: 0,
    failed: 0,
    failures: {},
    failureMessages: [],
    lost: 0,
    merged: 0,
    duplicated: 0,
    mismatched: 0,
  };
  const byId = new Map<string, StoredTurn>();
  for (const turns of stored.values()) for (const t of turns) byId.set(t.id, t);
  const prompts = (t: StoredTurn) => t.items.filter((i) => i.type === 'userMessage').map((i) => i.content?.[0]?.text ?? '');
  // A turn holding two prompts is merged, whoever claims it.
  for (const t of byId.values()) if (prompts(t).length > 1) f.merged++;
  const claimed = new Map<string, number>();
  for (const o of outcomes) {
    if (o.error !== undefined) {
      f.failed++;
      const key = o.error.replace(/: .*/, '');
      f.failures[key] = (f.failures[key] ?? 0) + 1;
      if (f.failureMessages.length < 5) f.failureMessages.push(`${o.kind} ${o.prompt}: ${o.error}`);
      continue;
    }
    f.completed++;
    claimed.set(o.turnId ?? '', (claimed.get(o.turnId ?? '') ?? 0) + 1);
    const turn = byId.get(o.turnId ?? '');
    if (!turn) {
      f.lost++;
      continue;
    }
    if (prompts(turn)[0] !== o.prompt || o.finalText !== o.expected) {
      f.merged++;
      continue;
    }
    const storedIds = turn.items.map((i) => i.id);
    if (new Set(o.itemIds).size !== o.itemIds.length) f.duplicated++;
    else if (storedIds.some((id) => !o.itemIds.includes(id))) f.lost++;
    else if (JSON.stringify(storedIds) !== JSON.stringify(o.itemIds)) f.mismatched++;
  }
  for (const n of claimed.values()) if (n > 1) f.merged++;
  // A prompt of a completed chat that made two stored turns: its turn/start ran twice.
  const completedPrompts = new Set(outcomes.filter((o) => o.error === undefined).map((o) => o.prompt));
  const turnsPerPrompt = new Map<string, number>();
  for (const t of byId.values()) for (const p of prompts(t)) turnsPerPrompt.set(p, (turnsPerPrompt.get(p) ?? 0) + 1);
  for (const [p, n] of turnsPerPrompt) if (n > 1 && completedPrompts.has(p)) f.duplicated++;
  return f;
}

export function record(f: StormFigures): void {
  console.log(`reconnect storm ${f.transport}: ${JSON.stringify(f)}`);
  const file = process.env.CODEX_RX_STORM_REPORT;
  if (file) fs.appendFileSync(file, `${JSON.stringify(f)}\n`);
}

export function expectCalm(f: StormFigures): void {
  expect(f.cuts).toBeGreaterThanOrEqual(Math.floor(STORM_MS / 600));
  expect(f.settled).toBeGreaterThanOrEqual(CHATS);
  expect({ lost: f.lost, merged: f.merged, duplicated: f.duplicated, mismatched: f.mismatched }).toEqual({
    lost: 0,
    merged: 0,
    duplicated: 0,
    mismatched: 0,
  });
  expect(f.failed).toBeLessThanOrEqual(Math.floor(f.settled / 10));
}

/** What a storm spec starts: the real server's home and model, the listening server, the proxy, the client. */
export interface StormRig {
  off: OfflineCodex;
  server?: ListeningServer;
  proxy?: TcpProxy;
  client?: CodexClient;
}

/**
 * Registers the storm spec's lifecycle (in the calling spec file): its timeout, the offline codex
 * started once, and after each test the client, proxy and listening server closed.
 */
export function stormRig(): StormRig {
  jest.setTimeout(STORM_TIMEOUT_MS);
  const rig = {} as StormRig;
  beforeAll(async () => {
    rig.off = await startOfflineCodex({ features: { shell_snapshot: false } });
  });
  afterEach(async () => {
    await rig.client?.close().catch(() => undefined);
    await rig.proxy?.close();
    await rig.server?.stop();
    rig.client = rig.proxy = rig.server = undefined;
  });
  afterAll(() => rig.off?.dispose());
  return rig;
}
