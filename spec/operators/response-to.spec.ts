import { CodexProtocolError } from '../../src/errors';
import { responseTo } from '../../src/operators';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import { errorResponse, notification, response, serverRequest } from '../../src/testing/frames';
import { newScheduler } from '../support/marbles';

describe('responseTo', () => {
  it('emits the result of its request and completes; other ids and notifications are ignored', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const frames = hot<JsonRpcMessage>('-n-o-r-x', {
        n: notification('warning', { message: 'w' }),
        o: response(6, { other: true }),
        r: response(7, { thread: { id: 't1' } }),
        x: response(7, { late: true }),
      });
      expectObservable(frames.pipe(responseTo(7))).toBe('-----(r|)', { r: { thread: { id: 't1' } } });
      expectSubscriptions(frames.subscriptions).toBe('^----!');
    });
  });

  it('errors with CodexProtocolError carrying code and data on an error response', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-e', {
        a: errorResponse(2, -32600, 'nope'),
        e: errorResponse(3, -32001, 'Server overloaded; retry later.', { retryAfter: 1 }),
      });
      const err = new CodexProtocolError('Server overloaded; retry later. (code -32001)', { code: -32001, data: { retryAfter: 1 } });
      expectObservable(frames.pipe(responseTo(3))).toBe('---#', undefined, err);
    });
    // Check the typed fields explicitly (toEqual on errors compares message only).
    let caught: unknown;
    newScheduler().run(({ cold, flush }) => {
      cold<JsonRpcMessage>('-e', { e: errorResponse(3, -32001, 'busy', { retryAfter: 1 }) })
        .pipe(responseTo(3))
        .subscribe({ error: (e) => (caught = e) });
      flush();
    });
    expect(caught).toBeInstanceOf(CodexProtocolError);
    expect(caught).toMatchObject({ name: 'CodexProtocolError', code: -32001, data: { retryAfter: 1 } });
  });

  it('works with id 0 (falsy)', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-b', { a: response(1, 'one'), b: response(0, 'zero') });
      expectObservable(frames.pipe(responseTo(0))).toBe('---(z|)', { z: 'zero' });
    });
  });

  it('ignores a server request that carries the same id', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-q-r', {
        q: serverRequest(0, 'item/commandExecution/requestApproval', { threadId: 't' }),
        r: response(0, { ok: 1 }),
      });
      expectObservable(frames.pipe(responseTo(0))).toBe('---(r|)', { r: { ok: 1 } });
    });
  });

  it('distinguishes string and number ids, and passes source errors and completion on', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-|', { a: response('5', 'str') });
      expectObservable(frames.pipe(responseTo(5))).toBe('---|');
    });
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-#', undefined, new Error('boom'));
      expectObservable(frames.pipe(responseTo(1))).toBe('-#', undefined, new Error('boom'));
    });
  });
});
