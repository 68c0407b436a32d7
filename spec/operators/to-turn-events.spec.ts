import { TestScheduler } from 'rxjs/testing';
import type { ChatResult, TurnEvent } from '../../src/models';
import { takeUntilTurnEnd, toTurnEvents } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import {
  agentDelta,
  agentMessageItem,
  approvalRequest,
  commandOutputDelta,
  errorNotification,
  itemCompleted,
  reasoningDelta,
  reasoningItem,
  serverRequest,
  threadStatusChanged,
  tokenUsageUpdated,
  turnCompleted,
  turnDiffUpdated,
  turnError,
  turnPlanUpdated,
  turnStarted,
} from '../../src/testing/frames';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const T = 'thr';
const U = 'turn';
const ids = { threadId: T, turnId: U };

describe('toTurnEvents', () => {
  const frames = {
    s: turnStarted(ids),
    r: reasoningDelta({ ...ids, itemId: 'r1', delta: 'thinking' }),
    R: itemCompleted({ ...ids, item: reasoningItem('r1', ['thinking']) }),
    o: commandOutputDelta({ ...ids, itemId: 'c1', delta: 'out' }),
    a: approvalRequest({ id: 0, ...ids, itemId: 'c1', command: 'ls', reason: 'why' }),
    d: agentDelta({ ...ids, itemId: 'm1', delta: 'Hel' }),
    e: agentDelta({ ...ids, itemId: 'm1', delta: 'lo' }),
    M: itemCompleted({ ...ids, item: agentMessageItem('m1', 'Hello') }),
    x: threadStatusChanged({ threadId: T, status: 'idle' }),
    c: turnCompleted(ids),
  };

  it('maps deltas, steps, approvals and the completion; drops the rest', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-srRoadeMxc|', frames);
      expectObservable(source.pipe(takeUntilTurnEnd(), toTurnEvents())).toBe('--rRoadeM-(c|)', {
        r: { ...ids, type: 'delta', itemId: 'r1', itemType: 'reasoning', delta: 'thinking' },
        R: expect.objectContaining({
          ...ids,
          type: 'step',
          step: expect.objectContaining({ itemId: 'r1', stepType: 'thinking', text: 'thinking' }),
        }),
        o: { ...ids, type: 'delta', itemId: 'c1', itemType: 'commandExecution', delta: 'out' },
        a: expect.objectContaining({
          ...ids,
          type: 'approval',
          request: expect.objectContaining({ kind: 'command', requestId: 0, command: 'ls' }),
        }),
        d: { ...ids, type: 'delta', itemId: 'm1', itemType: 'agentMessage', delta: 'Hel' },
        e: { ...ids, type: 'delta', itemId: 'm1', itemType: 'agentMessage', delta: 'lo' },
        M: expect.objectContaining({ type: 'step', step: expect.objectContaining({ itemId: 'm1', stepType: 'codex', text: 'Hello' }) }),
        c: {
          ...ids,
          type: 'completed',
          result: {
            ...ids,
            finalText: 'Hello',
            assistantItemId: 'm1',
            completionSource: 'item_completed',
            // the non-delta frames it saw, in order
            rawEvents: [frames.s, frames.R, frames.a, frames.M, frames.x, frames.c],
            usage: null,
            droppedDeltas: 0,
          },
        },
      });
    });
  });

  it('maps usage, plan and diff updates and the server-side errors, each typed; the result carries the last usage', () => {
    const more = {
      ...frames,
      p: turnPlanUpdated({
        ...ids,
        explanation: 'two steps',
        plan: [
          { step: 'read', status: 'completed' },
          { step: 'fix', status: 'inProgress' },
        ],
      }),
      f: turnDiffUpdated({ ...ids, diff: '--- a/x\n+++ b/x\n' }),
      y: errorNotification({ ...ids, message: 'stream dropped; retrying', willRetry: true }),
      u: tokenUsageUpdated({ ...ids, total: { totalTokens: 15, inputTokens: 10, outputTokens: 5 } }),
      U: tokenUsageUpdated({ ...ids, total: { totalTokens: 40, inputTokens: 30, outputTokens: 10 }, last: { totalTokens: 25 } }),
    };
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-pfyuMUc|', more);
      expectObservable(source.pipe(takeUntilTurnEnd(), toTurnEvents())).toBe('-pfyuMU(c|)', {
        p: { ...ids, type: 'plan', explanation: 'two steps', plan: more.p.params.plan },
        f: { ...ids, type: 'diff', diff: '--- a/x\n+++ b/x\n' },
        y: { ...ids, type: 'retry', error: more.y.params.error },
        u: { ...ids, type: 'usage', usage: more.u.params.tokenUsage },
        M: expect.objectContaining({ type: 'step' }),
        U: { ...ids, type: 'usage', usage: more.U.params.tokenUsage },
        c: expect.objectContaining({
          type: 'completed',
          result: expect.objectContaining({ finalText: 'Hello', usage: more.U.params.tokenUsage }),
        }),
      });
    });
  });

  it('an error the server does not retry is an error event, before the failed turn errors the stream', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-ef', {
        e: errorNotification({ ...ids, message: 'model said no', willRetry: false, codexErrorInfo: 'badRequest' }),
        f: turnCompleted({ ...ids, status: 'failed', error: turnError('model said no') }),
      });
      expectObservable(source.pipe(takeUntilTurnEnd(), toTurnEvents())).toBe(
        '-e#',
        { e: { ...ids, type: 'error', error: expect.objectContaining({ message: 'model said no', codexErrorInfo: 'badRequest' }) } },
        expect.objectContaining({ name: 'CodexProtocolError', message: 'model said no' }),
      );
    });
  });

  it('malformed usage, plan, diff and error notifications make no event', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-abcde|', {
        a: { method: 'thread/tokenUsage/updated', params: { ...ids, tokenUsage: { total: null } } },
        b: { method: 'turn/plan/updated', params: { ...ids, plan: 'not a list' } },
        c: { method: 'turn/diff/updated', params: { ...ids } },
        d: { method: 'error', params: { error: { message: 'no ids' }, willRetry: true } },
        e: { method: 'error', params: { ...ids, error: 'not an object' } },
      });
      expectObservable(source.pipe(toTurnEvents())).toBe('------|');
    });
  });

  it('a step per item id: a seen set shared with an earlier subscription suppresses repeats', () => {
    const seen = new Set(['m1']);
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-MRc|', frames);
      expectObservable(source.pipe(toTurnEvents({ seenItemIds: seen }))).toBe('--Rc|', {
        R: expect.objectContaining({ type: 'step', step: expect.objectContaining({ itemId: 'r1' }) }),
        c: expect.objectContaining({ type: 'completed', result: expect.objectContaining({ finalText: 'Hello' }) }),
      });
    });
    expect([...seen]).toEqual(['m1', 'r1']);
  });

  it('the completed event carries the result the caller gives', () => {
    const given: ChatResult = {
      ...ids,
      finalText: 'from elsewhere',
      rawEvents: [],
      assistantItemId: null,
      completionSource: null,
      usage: null,
      droppedDeltas: 0,
    };
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-Mc|', frames);
      const completed: TurnEvent = { ...ids, type: 'completed', result: given };
      expectObservable(source.pipe(toTurnEvents({ result: () => given }))).toBe('-Mc|', {
        M: expect.objectContaining({ type: 'step' }),
        c: completed,
      });
    });
  });

  it('after takeUntilTurnEnd a failed turn errors instead of completing; malformed deltas and approvals make no event', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-bqf', {
        b: { method: 'item/agentMessage/delta', params: { ...ids, itemId: 'm1' } },
        q: serverRequest(1, 'item/commandExecution/requestApproval', { threadId: T }),
        f: turnCompleted({ ...ids, status: 'failed', error: turnError('model said no') }),
      });
      expectObservable(source.pipe(takeUntilTurnEnd(), toTurnEvents())).toBe(
        '---#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', message: 'model said no' }),
      );
    });
  });
});
