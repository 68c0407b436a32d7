import { CodexProtocolError } from '../../src/errors';
import { takeUntilTurnEnd } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import { agentDelta, agentMessageItem, itemCompleted, turnCompleted, turnStarted } from '../../src/testing/frames';
import { newScheduler } from '../support/marbles';

const T = 'thr';
const U = 'turn';

describe('takeUntilTurnEnd', () => {
  it('passes frames through turn/completed (inclusive), then completes and unsubscribes', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const values = {
        s: turnStarted({ threadId: T, turnId: U }),
        d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'hi' }),
        i: itemCompleted({ threadId: T, turnId: U, item: agentMessageItem('m', 'hi') }),
        c: turnCompleted({ threadId: T, turnId: U }),
        x: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'after the end' }),
      };
      const frames = hot<JsonRpcMessage>('-s-d-i-c-x', values);
      expectObservable(frames.pipe(takeUntilTurnEnd())).toBe('-s-d-i-(c|)', values);
      expectSubscriptions(frames.subscriptions).toBe('^------!');
    });
  });

  it('errors with CodexProtocolError (message from turn.error, data = the turn) on a failed turn', () => {
    const failed = turnCompleted({ threadId: T, turnId: U, status: 'failed', error: 'model exploded' });
    newScheduler().run(({ hot, expectObservable }) => {
      const s = turnStarted({ threadId: T, turnId: U });
      const frames = hot<JsonRpcMessage>('-s--f', { s, f: failed });
      expectObservable(frames.pipe(takeUntilTurnEnd())).toBe(
        '-s--#',
        { s },
        expect.objectContaining({ name: 'CodexProtocolError', message: 'model exploded', data: failed.params.turn }),
      );
    });
    let caught: unknown;
    newScheduler().run(({ cold, flush }) => {
      cold<JsonRpcMessage>('f', { f: failed })
        .pipe(takeUntilTurnEnd())
        .subscribe({ error: (e) => (caught = e) });
      flush();
    });
    expect(caught).toBeInstanceOf(CodexProtocolError);
    expect((caught as CodexProtocolError).data).toEqual(expect.objectContaining({ id: U, status: 'failed' }));
  });

  it('errors with CodexProtocolError on an interrupted turn (with or without an error message)', () => {
    const plain = turnCompleted({ threadId: T, turnId: U, status: 'interrupted' });
    const withMessage = turnCompleted({ threadId: T, turnId: U, status: 'interrupted', error: 'stopped by user' });
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('--i', { i: plain });
      expectObservable(frames.pipe(takeUntilTurnEnd())).toBe(
        '--#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', message: 'turn interrupted', data: plain.params.turn }),
      );
    });
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('--i', { i: withMessage });
      expectObservable(frames.pipe(takeUntilTurnEnd())).toBe(
        '--#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', message: 'stopped by user' }),
      );
    });
  });

  it('a terminal frame arriving before anything else ends the stream at once', () => {
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const c = turnCompleted({ threadId: T, turnId: U });
      expectObservable(cold<JsonRpcMessage>('(cs)', { c, s: turnStarted({ threadId: T, turnId: U }) }).pipe(takeUntilTurnEnd())).toBe(
        '(c|)',
        { c },
      );
      expectObservable(hot<JsonRpcMessage>('c-', { c }).pipe(takeUntilTurnEnd())).toBe('(c|)', { c });
    });
  });

  it('a malformed turn/completed is an error, and source completion/errors pass through', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-m', { m: { method: 'turn/completed', params: { threadId: T } } });
      expectObservable(frames.pipe(takeUntilTurnEnd())).toBe(
        '-#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', message: 'malformed turn/completed notification' }),
      );
    });
    newScheduler().run(({ hot, expectObservable }) => {
      const s = turnStarted({ threadId: T, turnId: U });
      expectObservable(hot<JsonRpcMessage>('-s-|', { s }).pipe(takeUntilTurnEnd())).toBe('-s-|', { s });
      expectObservable(hot<JsonRpcMessage>('-s-#', { s }, new Error('wire')).pipe(takeUntilTurnEnd())).toBe(
        '-s-#',
        { s },
        new Error('wire'),
      );
    });
  });
});

describe('takeUntilTurnEnd: a turn/completed whose turn does not decode', () => {
  const malformed = { method: 'turn/completed', params: { threadId: 'thr', turn: { id: 'turn' } } };

  it('errors by default', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-c', { c: malformed }).pipe(takeUntilTurnEnd())).toBe(
        '-#',
        undefined,
        expect.objectContaining({ name: 'CodexProtocolError', message: 'malformed turn/completed notification' }),
      );
    });
  });

  it("ends the turn as completed with { malformed: 'complete' }", () => {
    newScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-c', { c: malformed }).pipe(takeUntilTurnEnd({ malformed: 'complete' }))).toBe('-(c|)', { c: malformed });
    });
  });
});
