/**
 * The operators are the engine's vocabulary: a user's own pipeline of them over `frames$` gives
 * exactly what `chat()` and `chatEvents()` give on the same script.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { forTurn, takeUntilTurnEnd, toSteps, toTurnEvents } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import {
  agentDelta,
  agentMessageItem,
  commandExecutionItem,
  commandOutputDelta,
  itemCompleted,
  itemStarted,
  reasoningDelta,
  reasoningItem,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  tokenUsageUpdated,
  turnPlanUpdated,
  turnStarted,
  userMessageItem,
} from '../../src/testing/frames';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { closeAfterEach } from '../support/client-fixture';

const T = 'thr-1';
const U = 'turn-1';
const ids = { threadId: T, turnId: U };
const other = { threadId: 'thr-other', turnId: 'turn-other' };

/** A turn with reasoning, a command, a streamed answer, a repeated item and another turn's frames mixed in. */
function script(frame: Record<string, unknown>): object[] | object | undefined {
  const id = frame.id as number;
  switch (frame.method) {
    case 'initialize':
      return response(id, { userAgent: 'x/1', codexHome: '/h', platformFamily: 'unix', platformOs: 'linux' });
    case 'thread/start':
      return response(id, { thread: threadObject(T) });
    case 'turn/start':
      return [
        response(id, { turn: turnObject(U, { status: 'inProgress' }) }),
        turnStarted(ids),
        itemCompleted({ ...ids, item: userMessageItem('u1', 'go') }),
        reasoningDelta({ ...ids, itemId: 'r1', delta: 'plan' }),
        itemCompleted({ ...ids, item: reasoningItem('r1', ['plan']) }),
        itemStarted({ ...other, item: agentMessageItem('o1', '') }),
        turnPlanUpdated({ ...ids, plan: [{ step: 'list files', status: 'inProgress' }] }),
        commandOutputDelta({ ...ids, itemId: 'c1', delta: 'ok\n' }),
        itemCompleted({ ...ids, item: commandExecutionItem('c1', 'ls', { aggregatedOutput: 'ok\n' }) }),
        itemCompleted({ ...other, item: agentMessageItem('o1', 'not mine') }),
        agentDelta({ ...ids, itemId: 'm1', delta: 'Hi ' }),
        agentDelta({ ...ids, itemId: 'm1', delta: 'there' }),
        itemCompleted({ ...ids, item: agentMessageItem('m1', 'Hi there') }),
        itemCompleted({ ...ids, item: agentMessageItem('m1', 'Hi there') }),
        tokenUsageUpdated({ ...ids, total: { totalTokens: 12 } }),
        turnCompleted(other),
        turnCompleted(ids),
      ];
  }
  return undefined;
}

function client(): CodexClient {
  return closeAfterEach(new CodexClient(new InMemoryTransport({ autoRespond: script, autoRespondMode: 'sync' })));
}

describe('the operators as the engine’s vocabulary', () => {
  it('frames$.pipe(forTurn, takeUntilTurnEnd, toSteps) gives the same steps as chat()', async () => {
    const c = client();
    await c.initialize();
    const mine = lastValueFrom(c.frames$.pipe(forTurn<JsonRpcMessage>(T, U), takeUntilTurnEnd(), toSteps(), toArray()));
    const steps = await lastValueFrom(c.chat('go').pipe(toArray()));
    expect(await mine).toEqual(steps);
    expect(steps.map((s) => [s.stepType, s.itemId, s.text])).toEqual([
      ['userMessage', 'u1', null],
      ['thinking', 'r1', 'plan'],
      ['exec', 'c1', 'ls'],
      ['codex', 'm1', 'Hi there'],
    ]);
  });

  it('frames$.pipe(forTurn, takeUntilTurnEnd, toTurnEvents) gives the events of chatEvents() after its started event', async () => {
    const c = client();
    await c.initialize();
    const mine = lastValueFrom(c.frames$.pipe(forTurn<JsonRpcMessage>(T, U), takeUntilTurnEnd(), toTurnEvents(), toArray()));
    const [started, ...events] = await lastValueFrom(c.chatEvents('go').pipe(toArray()));
    expect(started).toEqual({ ...ids, type: 'started' });
    expect(await mine).toEqual(events);
    expect(events.map((e) => (e.type === 'delta' ? `delta:${e.itemType}:${e.delta}` : e.type))).toEqual([
      'step',
      'delta:reasoning:plan',
      'step',
      'plan',
      'delta:commandExecution:ok\n',
      'step',
      'delta:agentMessage:Hi ',
      'delta:agentMessage:there',
      'step',
      'usage',
      'completed',
    ]);
    const completed = events.at(-1);
    expect(completed?.type === 'completed' && completed.result.usage?.total.totalTokens).toBe(12);
  });
});
