/**
 * The thread view reducer, in virtual time with marbles (a fresh TestScheduler per test): frames in,
 * immutable views out, unchanged parts keeping their objects.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { toThreadView } from '../../src/operators/to-thread-view';
import {
  agentDelta,
  agentMessageItem,
  approvalRequest,
  commandExecutionItem,
  commandOutputDelta,
  errorNotification,
  itemCompleted,
  itemStarted,
  reasoningDelta,
  reasoningItem,
  serverRequestResolved,
  threadStatusChanged,
  tokenUsageUpdated,
  turnCompleted,
  turnDiffUpdated,
  turnPlanUpdated,
  turnStarted,
  userMessageItem,
} from '../../src/testing/frames';
import { reconcileThreadView } from '../../src/view/reconcile-thread-view';
import { reduceThreadView } from '../../src/view/reduce-thread-view';
import { emptyThreadView, ThreadView } from '../../src/view/thread-view';

const threadId = 'thr-1';
const turnId = 'turn-1';
const ids = { threadId, turnId };

let scheduler: TestScheduler;
beforeEach(() => {
  scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

/** The text of the turn's agent message `m1` in each view. */
const messageText = (v: ThreadView) => {
  const item = v.turns[0]?.items.find((i) => i.id === 'm1');
  return item?.type === 'agentMessage' ? item.text : null;
};

describe('toThreadView / reduceThreadView', () => {
  it("grows an agent message's text with its deltas, then takes the completed item", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d-e|', {
        a: turnStarted(ids),
        b: itemStarted({ ...ids, item: agentMessageItem('m1', '') }),
        c: agentDelta({ ...ids, itemId: 'm1', delta: 'Hel' }),
        d: agentDelta({ ...ids, itemId: 'm1', delta: 'lo' }),
        e: itemCompleted({ ...ids, item: agentMessageItem('m1', 'Hello!') }),
      });
      expectObservable(frames.pipe(toThreadView(threadId), map(messageText))).toBe('a-b-c-d-e|', {
        a: null,
        b: '',
        c: 'Hel',
        d: 'Hello',
        e: 'Hello!',
      });
    });
  });

  it('ignores other threads and frames that change nothing (no new view)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d|', {
        a: turnStarted(ids),
        b: turnStarted({ threadId: 'other', turnId: 'x' }),
        c: turnStarted(ids),
        d: threadStatusChanged({ threadId, status: 'idle' }),
      });
      expectObservable(
        frames.pipe(
          toThreadView(threadId),
          map((v) => `${v.turns.length}:${v.status?.type ?? '-'}`),
        ),
      ).toBe('a-----d|', {
        a: '1:-',
        d: '1:idle',
      });
    });
  });

  it("keeps each turn's status, error, usage, plan and diff", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d-e-f|', {
        a: turnStarted(ids),
        b: tokenUsageUpdated({ ...ids, total: { totalTokens: 42 } }),
        c: turnPlanUpdated({ ...ids, plan: [{ step: 'read', status: 'completed' }], explanation: 'why' }),
        d: turnDiffUpdated({ ...ids, diff: '+a' }),
        e: errorNotification({ ...ids, message: 'retrying', willRetry: true }),
        f: turnCompleted({ ...ids, status: 'failed', error: 'boom' }),
      });
      const summary = (v: ThreadView) => {
        const t = v.turns[0]!;
        return [t.status, t.error?.message ?? null, t.usage?.total.totalTokens ?? null, t.plan?.plan.length ?? null, t.diff];
      };
      expectObservable(frames.pipe(toThreadView(threadId), map(summary))).toBe('a-b-c-d---f|', {
        a: ['inProgress', null, null, null, null],
        b: ['inProgress', null, 42, null, null],
        c: ['inProgress', null, 42, 1, null],
        d: ['inProgress', null, 42, 1, '+a'],
        f: ['failed', 'boom', 42, 1, '+a'],
      });
    });
  });

  it('lists pending approvals until resolved, or until their turn ends', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d-e|', {
        a: approvalRequest({ id: 0, ...ids, itemId: 'c1', command: 'ls', reason: 'look' }),
        b: approvalRequest({ id: 1, ...ids, itemId: 'c2', command: 'rm' }),
        c: serverRequestResolved({ threadId, requestId: 0 }),
        d: approvalRequest({ id: 0, ...ids, itemId: 'c1', command: 'ls' }),
        e: turnCompleted({ ...ids, status: 'interrupted' }),
      });
      expectObservable(
        frames.pipe(
          toThreadView(threadId),
          map((v) => v.pendingApprovals.map((a) => `${a.kind}:${String(a.requestId)}`)),
        ),
      ).toBe('a-b-c-d-e|', { a: ['command:0'], b: ['command:0', 'command:1'], c: ['command:1'], d: ['command:1', 'command:0'], e: [] });
    });
  });

  it('structural sharing: an item or turn that did not change keeps its object', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d|', {
        a: turnStarted(ids),
        b: itemCompleted({ ...ids, item: userMessageItem('u1', 'hi') }),
        c: itemStarted({ ...ids, item: agentMessageItem('m1', '') }),
        d: agentDelta({ ...ids, itemId: 'm1', delta: 'x' }),
      });
      const views: ThreadView[] = [];
      frames.pipe(toThreadView(threadId)).subscribe((v) => views.push(v));
      expectObservable(frames.pipe(map(() => 'x'))).toBe('x-x-x-x|');
      scheduler.flush();
      const [, b, c, d] = views;
      expect(c!.turns[0]!.items[0]).toBe(b!.turns[0]!.items[0]);
      expect(d!.turns[0]!.items[0]).toBe(b!.turns[0]!.items[0]);
      expect(d!.turns[0]!.items[1]).not.toBe(c!.turns[0]!.items[1]);
      expect(d).not.toBe(c);
    });
  });

  it('reasoning and command output grow too; a delta after completion adds nothing', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const frames = cold('a-b-c-d-e|', {
        a: reasoningDelta({ ...ids, itemId: 'r1', delta: 'Think' }),
        b: reasoningDelta({ ...ids, itemId: 'r1', delta: 'ing' }),
        c: commandOutputDelta({ ...ids, itemId: 'c1', delta: 'out' }),
        d: itemCompleted({ ...ids, item: commandExecutionItem('c1', 'ls', { aggregatedOutput: 'out\n' }) }),
        e: commandOutputDelta({ ...ids, itemId: 'c1', delta: 'late' }),
      });
      const texts = (v: ThreadView) =>
        v.turns[0]!.items.map((i) =>
          i.type === 'reasoning' ? i.summary.join('|') : i.type === 'commandExecution' ? i.aggregatedOutput : '',
        );
      expectObservable(frames.pipe(toThreadView(threadId), map(texts))).toBe('a-b-c-d--|', {
        a: ['Think'],
        b: ['Thinking'],
        c: ['Thinking', 'out'],
        d: ['Thinking', 'out\n'],
      });
    });
  });
});

describe('reconcileThreadView', () => {
  const stored = (status: 'completed' | 'inProgress', items: ReturnType<typeof agentMessageItem>[]) => ({
    turns: [
      {
        id: turnId,
        rootTurnId: null,
        items,
        itemsView: 'full' as const,
        status,
        error: null,
        startedAt: null,
        completedAt: null,
        durationMs: null,
      },
    ],
    status: { type: 'idle' as const },
  });

  it('seeds an empty view from the stored turns', () => {
    const view = reconcileThreadView(emptyThreadView(threadId), stored('completed', [agentMessageItem('m1', 'Hi')]));
    expect(view.turns.map((t) => [t.id, t.status, t.items.map((i) => i.id)])).toEqual([[turnId, 'completed', ['m1']]]);
    expect(view.status).toEqual({ type: 'idle' });
  });

  it('after missed frames: the store completes the turn, keeps unchanged items, and a second reconcile is a no-op', () => {
    let live = emptyThreadView(threadId);
    for (const f of [
      turnStarted(ids),
      itemCompleted({ ...ids, item: userMessageItem('u1', 'hi') }),
      itemStarted({ ...ids, item: agentMessageItem('m1', '') }),
      agentDelta({ ...ids, itemId: 'm1', delta: 'Hal' }),
    ]) {
      live = reduceThreadView(live, f);
    }
    const user = live.turns[0]!.items[0]!;
    const s = { ...stored('completed', [user as never, agentMessageItem('m1', 'Hallo')]) };
    s.turns[0]!.items[0] = JSON.parse(JSON.stringify(user));
    const next = reconcileThreadView(live, s);
    expect(next.turns[0]!.status).toBe('completed');
    expect(next.turns[0]!.items[0]).toBe(user);
    expect(messageText(next)).toBe('Hallo');
    expect(reconcileThreadView(next, s)).toBe(next);
    // A delta replayed after the store's whole text adds nothing.
    expect(reduceThreadView(next, agentDelta({ ...ids, itemId: 'm1', delta: 'lo' }))).toBe(next);
  });

  it('a live turn the store does not hold yet stays, after the stored ones', () => {
    const live = reduceThreadView(emptyThreadView(threadId), turnStarted({ threadId, turnId: 'turn-2' }));
    const next = reconcileThreadView(live, stored('completed', [reasoningItem('r1', ['a']) as never]));
    expect(next.turns.map((t) => t.id)).toEqual([turnId, 'turn-2']);
    expect(next.turns[1]).toBe(live.turns[0]);
  });
});
