import { lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { ConversationStep, TurnEvent } from '../../src/models';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import {
  agentDelta,
  agentMessageItem,
  itemCompleted,
  itemStarted,
  reasoningItem,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
} from '../../src/testing/frames';

/**
 * A fake server that holds every turn/start until `n` have arrived, then sends all turns' frames
 * interleaved round-robin: turn/started of each turn BEFORE any turn/start response (so the
 * router must hold them), the responses in reverse order, then every other phase turn by turn.
 */
function batchingServer(n: number) {
  let threads = 0;
  const waiting: Array<{ id: number; threadId: string; turnId: string; text: string }> = [];
  const transport: InMemoryTransport = new InMemoryTransport({
    autoRespond: (frame) => {
      const id = frame.id as number;
      const p = (frame.params ?? {}) as { threadId: string; input: Array<{ text: string }> };
      if (frame.method === 'initialize')
        return response(id, { userAgent: 'fake', codexHome: '/tmp', platformFamily: 'unix', platformOs: 'linux' });
      if (frame.method === 'thread/start') return response(id, { thread: threadObject(`thr-${++threads}`) });
      if (frame.method !== 'turn/start') return undefined;
      waiting.push({ id, threadId: p.threadId, turnId: `turn-of-${p.threadId}`, text: p.input[0]!.text });
      if (waiting.length < n) return undefined;
      const all = waiting.splice(0);
      const out: object[] = [];
      for (const t of all) out.push(turnStarted({ threadId: t.threadId, turnId: t.turnId }));
      for (const t of [...all].reverse()) out.push(response(t.id, { turn: turnObject(t.turnId) }));
      for (const t of all) out.push(itemStarted({ threadId: t.threadId, turnId: t.turnId, item: agentMessageItem(`m-${t.turnId}`, '') }));
      for (const t of all)
        out.push(
          itemCompleted({ threadId: t.threadId, turnId: t.turnId, item: reasoningItem(`r-${t.turnId}`, [`thinking about ${t.text}`]) }),
        );
      for (const t of all)
        out.push(agentDelta({ threadId: t.threadId, turnId: t.turnId, itemId: `m-${t.turnId}`, delta: `reply to ${t.text}` }));
      for (const t of all)
        out.push(itemCompleted({ threadId: t.threadId, turnId: t.turnId, item: agentMessageItem(`m-${t.turnId}`, `reply to ${t.text}`) }));
      for (const t of all) out.push(turnCompleted({ threadId: t.threadId, turnId: t.turnId }));
      return out;
    },
  });
  return transport;
}

describe('routing: many concurrent turns on one connection', () => {
  let client: CodexClient;
  afterEach(() => client?.close());

  it('1,000 concurrent turns each get exactly their own frames, and all state is freed after', async () => {
    const N = 1_000;
    const transport = batchingServer(N);
    client = new CodexClient(transport, { requestTimeoutMs: 60_000, inactivityTimeoutMs: null });
    // Half consume steps, half consume events, all at once.
    const runs = Array.from({ length: N }, (_, i) =>
      i % 2 === 0
        ? lastValueFrom(client.chat(`q${i}`).pipe(toArray())).then((steps) => ({ i, steps, events: null as TurnEvent[] | null }))
        : lastValueFrom(client.chatEvents(`q${i}`).pipe(toArray())).then((events) => ({
            i,
            steps: events.flatMap((e) => (e.type === 'step' ? [e.step] : [])) as ConversationStep[],
            events: events as TurnEvent[] | null,
          })),
    );
    const results = await Promise.all(runs);

    const turnIds = new Set<string>();
    for (const { i, steps, events } of results) {
      expect(steps).toHaveLength(2);
      const [thinking, answer] = steps as [ConversationStep, ConversationStep];
      const { threadId, turnId } = thinking;
      expect(turnId).toBe(`turn-of-${threadId}`);
      expect(turnIds.has(turnId)).toBe(false);
      turnIds.add(turnId);
      expect([thinking.stepType, thinking.text]).toEqual(['thinking', `thinking about q${i}`]);
      expect([answer.stepType, answer.text, answer.threadId, answer.turnId]).toEqual(['codex', `reply to q${i}`, threadId, turnId]);
      if (events) {
        expect(events.map((e) => e.type)).toEqual(['started', 'step', 'delta', 'step', 'completed']);
        for (const e of events) expect([e.threadId, e.turnId]).toEqual([threadId, turnId]);
        const delta = events[2]!;
        expect(delta).toMatchObject({ type: 'delta', itemId: `m-${turnId}`, delta: `reply to q${i}` });
        const done = events[4]!;
        expect(done.type === 'completed' && done.result.finalText).toBe(`reply to q${i}`);
        // rawEvents hold this turn's frames only
        if (done.type === 'completed') {
          for (const raw of done.result.rawEvents) {
            const p = raw.params as { threadId: string; turnId?: string; turn?: { id: string } };
            expect([p.threadId, p.turnId ?? p.turn?.id]).toEqual([threadId, turnId]);
          }
        }
      }
    }
    expect(turnIds.size).toBe(N);
    expect(transport.sentWithMethod('turn/start')).toHaveLength(N);
    expect(client.stats).toEqual({ turns: 0, waitingThreads: 0, pendingRequests: 0, pendingApprovals: 0, idleChecks: 0 });
  });
});
