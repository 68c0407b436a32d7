import type { JsonRpcMessage } from '../../src/protocol/messages';
import { ofMethod } from '../../src/operators';
import {
  agentDelta,
  approvalRequest,
  notification,
  response,
  tokenUsageUpdated,
  turnPlanUpdated,
  userInputRequest,
} from '../../src/testing/frames';
import { newScheduler } from '../support/marbles';

const ids = { threadId: 'thr', turnId: 'turn' };

describe('ofMethod', () => {
  const frames = {
    p: turnPlanUpdated({ ...ids, plan: [{ step: 'read', status: 'pending' }] }),
    u: tokenUsageUpdated({ ...ids, total: { totalTokens: 3 } }),
    d: agentDelta({ ...ids, itemId: 'm1', delta: 'Hi' }),
    q: turnPlanUpdated({ ...ids, explanation: 'later', plan: [] }),
    a: approvalRequest({ id: 0, ...ids, itemId: 'c1', command: 'ls' }),
    i: userInputRequest({ id: 1, ...ids, itemId: 'u1', questions: [{ id: 'q1', question: 'Which?' }] }),
    r: response(7, { ok: true }),
    v: notification('vendor/plan', { plan: [] }),
  };

  it('emits the params of each notification of the method, in order; every other frame is dropped', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-pudqairv|', frames);
      expectObservable(source.pipe(ofMethod('turn/plan/updated'))).toBe('-p--q----|', { p: frames.p.params, q: frames.q.params });
    });
  });

  it('picks server requests by method too, emitting their params', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-pai|', frames);
      expectObservable(source.pipe(ofMethod('item/commandExecution/requestApproval'))).toBe('--a-|', { a: frames.a.params });
    });
  });

  it('passes errors of the source on', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const source = hot<JsonRpcMessage>('-u#', frames, new Error('gone'));
      expectObservable(source.pipe(ofMethod('thread/tokenUsage/updated'))).toBe('-u#', { u: frames.u.params }, new Error('gone'));
    });
  });
});
