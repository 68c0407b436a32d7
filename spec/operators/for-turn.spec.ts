import { forTurn } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import {
  agentDelta,
  agentMessageItem,
  approvalRequest,
  itemCompleted,
  notification,
  response,
  turnCompleted,
  turnStarted,
} from '../../src/testing/frames';
import { newScheduler } from '../support/marbles';

describe('forTurn', () => {
  it('keeps only the frames of one turn out of three interleaved turns', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const T = 'thr';
      const values: Record<string, JsonRpcMessage> = {
        a: turnStarted({ threadId: T, turnId: 'A' }),
        b: turnStarted({ threadId: T, turnId: 'B' }),
        c: turnStarted({ threadId: 'thr2', turnId: 'C' }),
        d: agentDelta({ threadId: T, turnId: 'B', itemId: 'm', delta: 'x' }),
        e: agentDelta({ threadId: T, turnId: 'A', itemId: 'm', delta: 'y' }),
        f: itemCompleted({ threadId: 'thr2', turnId: 'C', item: agentMessageItem('m3', 'c') }),
        g: itemCompleted({ threadId: T, turnId: 'B', item: agentMessageItem('m2', 'b') }),
        h: approvalRequest({ id: 0, threadId: T, turnId: 'B', itemId: 'i' }),
        i: notification('warning', { message: 'no turn' }),
        j: response(3, {}),
        k: turnCompleted({ threadId: T, turnId: 'A' }),
        l: turnCompleted({ threadId: T, turnId: 'B' }),
        m: turnCompleted({ threadId: 'thr2', turnId: 'C' }),
      };
      const frames = hot<JsonRpcMessage>('abcdefghijklm|', values);
      const { b, d, g, h, l } = values;
      expectObservable(frames.pipe(forTurn(T, 'B'))).toBe('-b-d--gh---l-|', { b, d, g, h, l });
      expectObservable(frames.pipe(forTurn(T, 'A'))).toBe('a---e-----k--|', { a: values.a, e: values.e, k: values.k });
      expectObservable(frames.pipe(forTurn('thr2', 'C'))).toBe('--c--f------m|', { c: values.c, f: values.f, m: values.m });
      expectSubscriptions(frames.subscriptions).toBe(['^------------!', '^------------!', '^------------!']);
    });
  });

  it('requires both the thread and the turn id to match', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-b-c', {
        a: turnStarted({ threadId: 'other', turnId: 'A' }),
        b: itemCompleted({ threadId: 't', turnId: 'Z', item: agentMessageItem('m', 'x') }),
        c: turnCompleted({ threadId: 't', turnId: 'A' }),
      });
      expectObservable(frames.pipe(forTurn('t', 'A'))).toBe('-----c', { c: turnCompleted({ threadId: 't', turnId: 'A' }) });
    });
  });
});
