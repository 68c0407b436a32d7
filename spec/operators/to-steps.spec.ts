import type { ConversationStep } from '../../src/models';
import { toSteps } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import {
  agentDelta,
  agentMessageItem,
  commandExecutionItem,
  fileChangeItem,
  genericItem,
  itemCompleted,
  itemStarted,
  notification,
  reasoningItem,
  response,
  turnCompleted,
  turnStarted,
} from '../../src/testing/frames';
import type { ThreadItem } from '../../src/protocol/generated/v2/ThreadItem';
import { newScheduler } from '../support/marbles';

const T = 'thr';
const U = 'turn';
const done = (item: ThreadItem) => itemCompleted({ threadId: T, turnId: U, item });
const step = (item: ThreadItem, stepType: string, text: string | null): ConversationStep => ({
  threadId: T,
  turnId: U,
  itemId: (item as { id: string }).id,
  stepType,
  itemType: (item as { type: string }).type,
  status: 'completed',
  text,
  item,
  data: item as unknown as Record<string, unknown>,
});

describe('toSteps', () => {
  it('maps item types to step types and extracts the text of each', () => {
    const reasoning = reasoningItem('r1', ['sum one', 'sum two'], ['raw content']);
    const command = commandExecutionItem('c1', 'ls -la', { aggregatedOutput: 'output is not the text' });
    const message = agentMessageItem('m1', 'Hello there');
    const tool = genericItem('mcpToolCall', 't1', { server: 's', tool: 'x', message: 'tool said' });
    const file = fileChangeItem('f1', [{ path: 'a.txt', kind: 'add', diff: '+a' }]);
    const web = genericItem('webSearch', 'w1', { query: 'q', summary: 'found it' });
    const plan = genericItem('plan', 'p1', { text: 'the plan', message: 'not this' });
    const compaction = genericItem('contextCompaction', 'x1', { count: 3, content: ['not a string'] });
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-abcdefgh|', {
        a: done(reasoning),
        b: done(command),
        c: done(message),
        d: done(tool),
        e: done(file),
        f: done(web),
        g: done(plan),
        h: done(compaction),
      });
      expectObservable(frames.pipe(toSteps())).toBe('-abcdefgh|', {
        a: step(reasoning, 'thinking', 'sum one\nsum two\nraw content'),
        b: step(command, 'exec', 'ls -la'),
        c: step(message, 'codex', 'Hello there'),
        d: step(tool, 'tool', 'tool said'),
        e: step(file, 'file', null),
        f: step(web, 'webSearch', 'found it'),
        g: step(plan, 'plan', 'the plan'),
        h: step(compaction, 'contextCompaction', null),
      });
    });
  });

  it('takes the first string field among text, message, content, summary for other items', () => {
    const onlyContent = genericItem('mystery', 'y1', { content: 'c', summary: 's' });
    const onlySummary = genericItem('mystery', 'y2', { summary: 's' });
    const messageBeforeContent = genericItem('mystery', 'y3', { content: 'c', message: 'm' });
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('abc|', { a: done(onlyContent), b: done(onlySummary), c: done(messageBeforeContent) });
      expectObservable(frames.pipe(toSteps())).toBe('abc|', {
        a: step(onlyContent, 'mystery', 'c'),
        b: step(onlySummary, 'mystery', 's'),
        c: step(messageBeforeContent, 'mystery', 'm'),
      });
    });
  });

  it('yields one step per item id: a duplicate item/completed yields nothing', () => {
    const message = agentMessageItem('m1', 'once');
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-a-b-a|', { a: done(message), b: done(agentMessageItem('m2', 'twice')) });
      expectObservable(frames.pipe(toSteps())).toBe('-a---b--|', {
        a: step(message, 'codex', 'once'),
        b: step(agentMessageItem('m2', 'twice'), 'codex', 'twice'),
      });
    });
  });

  it('a shared seenItemIds set spans two subscriptions', () => {
    const seen = new Set<string>(['m1']);
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('ab|', { a: done(agentMessageItem('m1', 'old')), b: done(agentMessageItem('m2', 'new')) });
      expectObservable(frames.pipe(toSteps({ seenItemIds: seen }))).toBe('-b|', {
        b: step(agentMessageItem('m2', 'new'), 'codex', 'new'),
      });
    });
  });

  it('drops every frame that is not an item/completed notification', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-abcdefg|', {
        a: turnStarted({ threadId: T, turnId: U }),
        b: itemStarted({ threadId: T, turnId: U, item: agentMessageItem('m', '') }),
        c: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'x' }),
        d: response(1, { item: agentMessageItem('m', 'x') }),
        e: notification('item/completed', { threadId: T }),
        f: turnCompleted({ threadId: T, turnId: U }),
        g: done(agentMessageItem('m', 'x')),
      });
      expectObservable(frames.pipe(toSteps())).toBe('-------g|', { g: step(agentMessageItem('m', 'x'), 'codex', 'x') });
    });
  });
});
