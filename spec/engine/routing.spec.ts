import { lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { ConversationStep, TurnEvent } from '../../src/models';
import { FakeAppServer, type FakeTurn } from '../../src/testing/fake-server';
import { agentMessageItem, reasoningItem, turnStarted } from '../../src/testing/frames';
import { ZERO_STATS } from '../support/stats';

/**
 * A fake server that holds every turn/start until `n` have arrived, then sends all turns' frames
 * interleaved round-robin: turn/started of each turn BEFORE any turn/start response (so the
 * router must hold them), the responses in reverse order, then every other phase turn by turn.
 */
function batchingServer(n: number): FakeAppServer {
  const waiting: FakeTurn[] = [];
  return new FakeAppServer({
    routineFrames: false,
    turnId: (_n, threadId) => `turn-of-${threadId}`,
    script: (turn) => {
      turn.hold(); // no turn/start response yet
      turn.keepOpen(); // the n-th turn's script ends them all
      waiting.push(turn);
      if (waiting.length < n) return;
      const all = waiting.splice(0);
      const reply = (t: FakeTurn) => `reply to ${t.text}`;
      for (const t of all) t.send(turnStarted({ threadId: t.threadId, turnId: t.turnId }));
      for (const t of [...all].reverse()) t.respond();
      for (const t of all) t.startItem(agentMessageItem(`m-${t.turnId}`, ''));
      for (const t of all) t.completeItem(reasoningItem(`r-${t.turnId}`, [`thinking about ${t.text}`]));
      for (const t of all) t.delta(`m-${t.turnId}`, reply(t));
      for (const t of all) t.completeItem(agentMessageItem(`m-${t.turnId}`, reply(t)));
      for (const t of all) t.complete();
    },
  });
}

describe('routing: many concurrent turns on one connection', () => {
  let client: CodexClient;
  afterEach(() => client?.close());

  it('1,000 concurrent turns each get exactly their own frames, and all state is freed after', async () => {
    const N = 1_000;
    const server = batchingServer(N);
    client = server.client({ requestTimeoutMs: 60_000, inactivityTimeoutMs: null });
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
    expect(server.requestsOf('turn/start')).toHaveLength(N);
    expect(client.stats).toEqual(ZERO_STATS);
  });
});
