/**
 * Server requests across a dropped link (spec/support/linked-transport.ts): the server of the new
 * link numbers its requests from 0 again, so an answer decided for a request of the old link must
 * never go out on the new one, for user input as for approvals.
 */
import { Observable } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { ApprovalDecision } from '../../src/models';
import { response, threadObject, turnObject, turnStarted } from '../../src/testing/frames';
import type { ClientOptions } from '../../src/options';
import { flushMicrotasks } from '../../src/testing/virtual-time';
import { LinkedTransport } from '../support/linked-transport';
import { hello } from '../support/client-fixture';

const T = 'thr-1';
const U = 'turn-1';

function setup(options: ClientOptions = {}) {
  const transport = new LinkedTransport((f) => {
    const id = f.id as number;
    switch (f.method) {
      case 'initialize':
        return hello(id);
      case 'thread/start':
      case 'thread/resume':
        return response(id, { thread: threadObject(T) });
      case 'turn/start':
        return [response(id, { turn: turnObject(U) }), turnStarted({ threadId: T, turnId: U })];
      case 'thread/turns/list':
        return response(id, { data: [{ id: U, status: 'inProgress', items: [] }], nextCursor: null });
      default:
        return undefined;
    }
  });
  const client = new CodexClient(transport, options);
  const turn = client.chat('go').subscribe({ error: () => undefined });
  /** The answers the client sent on `link` (frames without a method). */
  const answers = (link: number) => transport.sent.filter((s) => s.link === link && !('method' in s.frame)).map((s) => s.frame);
  const relink = async () => {
    transport.drop(true);
    transport.restore();
    await flushMicrotasks();
  };
  const close = async () => {
    turn.unsubscribe();
    await client.close();
  };
  return { transport, client, answers, relink, close };
}

const userInput = (itemId: string) => ({
  id: 0,
  method: 'item/tool/requestUserInput',
  params: { threadId: T, turnId: U, itemId, questions: [{ id: 'q' }] },
});
const approval = (itemId: string) => ({
  id: 0,
  method: 'item/commandExecution/requestApproval',
  params: { threadId: T, turnId: U, itemId, command: 'rm -rf build' },
});

/** A handler whose answers the spec gives, one call at a time. */
function deferredHandler<T>() {
  const pending: Array<(value: T) => void> = [];
  return { handler: () => new Promise<T>((resolve) => pending.push(resolve)), pending };
}

describe('a user-input request asked on a link that dropped', () => {
  it('its late answer does not go out on the new link (where id 0 is another request)', async () => {
    const { transport, client, answers, relink, close } = setup({ approvalMode: 'manual' });
    const { handler, pending } = deferredHandler<Record<string, string[]>>();
    client.setUserInputHandler(handler);
    await flushMicrotasks();
    transport.push(userInput('i1'));
    await flushMicrotasks();
    await relink();
    transport.push(approval('i2'));
    await flushMicrotasks();
    pending[0]!({ q: ['yes'] });
    await flushMicrotasks();
    expect(answers(1)).toEqual([]);
    expect(answers(2)).toEqual([]);
    expect(client.stats.pendingApprovals).toBe(1);
    await close();
  });

  it('asked again on the new link, it is answered there once, with the answer given for that request', async () => {
    const { transport, client, answers, relink, close } = setup();
    const { handler, pending } = deferredHandler<Record<string, string[]>>();
    client.setUserInputHandler(handler);
    await flushMicrotasks();
    transport.push(userInput('i1'));
    await flushMicrotasks();
    await relink();
    transport.push(userInput('i1'));
    await flushMicrotasks();
    expect(pending).toHaveLength(2);
    pending[0]!({ q: ['from link 1'] });
    pending[1]!({ q: ['from link 2'] });
    await flushMicrotasks();
    expect(answers(2)).toEqual([{ id: 0, result: { answers: { q: { answers: ['from link 2'] } } } }]);
    await close();
  });

  it('a handler still deciding (an Observable) is unsubscribed when the link drops', async () => {
    const { transport, client, answers, relink, close } = setup();
    let subscribed = 0;
    let unsubscribed = 0;
    client.setUserInputHandler(
      () =>
        new Observable<Record<string, string[]>>(() => {
          subscribed++;
          return () => unsubscribed++;
        }),
    );
    await flushMicrotasks();
    transport.push(userInput('i1'));
    await flushMicrotasks();
    expect([subscribed, unsubscribed]).toEqual([1, 0]);
    await relink();
    expect([subscribed, unsubscribed]).toEqual([1, 1]);
    expect(answers(1)).toEqual([]);
    expect(answers(2)).toEqual([]);
    await close();
  });
});

describe('an approval asked on a link that dropped, and asked again on the new one', () => {
  it('only the decision for the new link’s request goes out there', async () => {
    const { transport, client, answers, relink, close } = setup();
    const { handler, pending } = deferredHandler<ApprovalDecision>();
    client.setApprovalHandler(handler);
    await flushMicrotasks();
    transport.push(approval('i1'));
    await flushMicrotasks();
    await relink();
    transport.push(approval('i1'));
    await flushMicrotasks();
    expect(pending).toHaveLength(2);
    pending[0]!('decline');
    await flushMicrotasks();
    pending[1]!('accept');
    await flushMicrotasks();
    expect(answers(2)).toEqual([{ id: 0, result: { decision: 'accept' } }]);
    expect(client.stats.pendingApprovals).toBe(0);
    await close();
  });
});

describe('an onServerRequest handler or a client-side tool asked on a link that dropped', () => {
  const toolCall = (callId: string) => ({
    id: 0,
    method: 'item/tool/call',
    params: { threadId: T, turnId: U, callId, namespace: null, tool: 'lookup', arguments: {} },
  });

  it('its signal aborts when the link drops, and its late answer does not go out on the new link', async () => {
    const { transport, client, answers, relink, close } = setup();
    const signals: AbortSignal[] = [];
    const pending: Array<(token: string) => void> = [];
    client.onServerRequest('item/tool/call', (_params, ctx) => {
      signals.push(ctx.signal);
      return new Promise((resolve) => pending.push((text) => resolve({ contentItems: [{ type: 'inputText', text }], success: true })));
    });
    await flushMicrotasks();
    transport.push(toolCall('c1'));
    await flushMicrotasks();
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    await relink();
    expect(signals.map((s) => s.aborted)).toEqual([true]);
    transport.push(toolCall('c2'));
    await flushMicrotasks();
    pending[0]!('for link 1');
    await flushMicrotasks();
    expect(answers(2)).toEqual([]);
    pending[1]!('for link 2');
    await flushMicrotasks();
    expect(answers(1)).toEqual([]);
    expect(answers(2)).toEqual([{ id: 0, result: { contentItems: [{ type: 'inputText', text: 'for link 2' }], success: true } }]);
    await close();
  });
});
