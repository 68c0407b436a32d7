import { asyncScheduler, EMPTY, NEVER, Subject } from 'rxjs';
import type { ApprovalDecision, ApprovalHandler, ApprovalRequest } from '../../src/models';
import { ApprovalReply, interceptApprovals } from '../../src/operators';
import type { JsonRpcId, JsonRpcMessage } from '../../src/protocol/messages';
import {
  agentDelta,
  approvalRequest,
  fileChangeApprovalRequest,
  itemCompleted,
  agentMessageItem,
  response,
  serverRequest,
  turnCompleted,
  userInputRequest,
} from '../../src/testing/frames';
import { newScheduler } from '../support/marbles';

const T = 'thr';
const U = 'turn';

interface Answer {
  frame: number;
  id: JsonRpcId;
  reply: ApprovalReply;
}

/** A `respond` that records each answer with the (virtual) time it was given. */
function recorder() {
  const answers: Answer[] = [];
  const respond = (id: JsonRpcId, reply: ApprovalReply) => answers.push({ frame: asyncScheduler.now(), id, reply });
  return { answers, respond };
}

const decision = (d: unknown) => ({ result: { decision: d } });

describe('interceptApprovals', () => {
  it('takes approvals out of a mixed stream, answers each, and passes every other frame untouched', () => {
    const { answers, respond } = recorder();
    const seen: ApprovalRequest[] = [];
    const handler: ApprovalHandler = (req) => {
      seen.push(req);
      return req.kind === 'command' ? 'accept' : 'acceptForSession';
    };
    const values: Record<string, JsonRpcMessage> = {
      d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'x' }),
      a: approvalRequest({ id: 4, threadId: T, turnId: U, itemId: 'c1', command: 'rm -rf /tmp/x', reason: 'cleanup', cwd: '/w' }),
      u: userInputRequest({ id: 5, threadId: T, turnId: U, itemId: 'q', questions: [{ id: 'q1' }] }),
      f: fileChangeApprovalRequest({ id: 6, threadId: T, turnId: U, itemId: 'f1', grantRoot: '/w' }),
      i: itemCompleted({ threadId: T, turnId: U, item: agentMessageItem('m', 'x') }),
      r: response(9, {}),
      c: turnCompleted({ threadId: T, turnId: U }),
    };
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-d-a-u-f-i-r-c|', values);
      const { d, u, i, r, c } = values;
      expectObservable(frames.pipe(interceptApprovals(handler, respond))).toBe('-d---u---i-r-c|', { d, u, i, r, c });
    });
    expect(answers).toEqual([
      { frame: 3, id: 4, reply: decision('accept') },
      { frame: 7, id: 6, reply: decision('acceptForSession') },
    ]);
    expect(seen).toEqual([
      expect.objectContaining({
        kind: 'command',
        requestId: 4,
        threadId: T,
        turnId: U,
        itemId: 'c1',
        command: 'rm -rf /tmp/x',
        reason: 'cleanup',
        cwd: '/w',
      }),
      expect.objectContaining({ kind: 'fileChange', requestId: 6, itemId: 'f1', grantRoot: '/w' }),
    ]);
  });

  it('answers each decision with the right {result:{decision}} payload', () => {
    const decisions: ApprovalDecision[] = ['accept', 'acceptForSession', 'decline', 'cancel'];
    const { answers, respond } = recorder();
    let n = 0;
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('abcd|', {
        a: approvalRequest({ id: 1, threadId: T, turnId: U, itemId: 'i1' }),
        b: approvalRequest({ id: 2, threadId: T, turnId: U, itemId: 'i2' }),
        c: fileChangeApprovalRequest({ id: 3, threadId: T, turnId: U, itemId: 'i3' }),
        d: fileChangeApprovalRequest({ id: 4, threadId: T, turnId: U, itemId: 'i4' }),
      });
      expectObservable(frames.pipe(interceptApprovals(() => decisions[n++]!, respond))).toBe('----|');
    });
    expect(answers.map((a) => [a.id, a.reply])).toEqual([
      [1, decision('accept')],
      [2, decision('acceptForSession')],
      [3, decision('decline')],
      [4, decision('cancel')],
    ]);
  });

  it('answers an execpolicy amendment with the snake_case protocol shape', () => {
    const { answers, respond } = recorder();
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('a|', {
        a: approvalRequest({ id: 2, threadId: T, turnId: U, itemId: 'i', proposedExecpolicyAmendment: ['git', 'status'] }),
      });
      const handler: ApprovalHandler = (req) =>
        req.kind === 'command' && req.proposedExecpolicyAmendment
          ? { acceptWithExecpolicyAmendment: [...req.proposedExecpolicyAmendment] }
          : 'decline';
      expectObservable(frames.pipe(interceptApprovals(handler, respond))).toBe('-|');
    });
    expect(answers).toEqual([
      { frame: 0, id: 2, reply: decision({ acceptWithExecpolicyAmendment: { execpolicy_amendment: ['git', 'status'] } }) },
    ]);
  });

  it('answers malformed params with -32602 naming the field, without calling the handler', () => {
    const { answers, respond } = recorder();
    const handler = jest.fn((): ApprovalDecision => 'accept');
    const bad = approvalRequest({ id: 8, threadId: T, turnId: U, itemId: 'i' });
    delete (bad.params as { threadId?: string }).threadId;
    const badFile = fileChangeApprovalRequest({ id: 9, threadId: T, turnId: U, itemId: 'i' });
    (badFile.params as { itemId: unknown }).itemId = 42;
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a-b|', { a: bad, b: badFile });
      expectObservable(frames.pipe(interceptApprovals(handler, respond))).toBe('----|');
    });
    expect(handler).not.toHaveBeenCalled();
    expect(answers).toEqual([
      { frame: 1, id: 8, reply: { error: { code: -32602, message: expect.stringContaining('threadId') } } },
      { frame: 3, id: 9, reply: { error: { code: -32602, message: expect.stringContaining('itemId') } } },
    ]);
  });

  it('declines when the handler throws, errors, completes empty or gives an invalid decision, and reports it', () => {
    const { answers, respond } = recorder();
    const errors: unknown[] = [];
    const handlers: ApprovalHandler[] = [
      () => {
        throw new Error('handler bug');
      },
      () => EMPTY, // completes without a decision
      () => 'maybe' as ApprovalDecision,
    ];
    let n = 0;
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('a-b-c-d-e|', {
        a: approvalRequest({ id: 1, threadId: T, turnId: U, itemId: 'i' }),
        b: approvalRequest({ id: 2, threadId: T, turnId: U, itemId: 'i' }),
        c: approvalRequest({ id: 3, threadId: T, turnId: U, itemId: 'i' }),
        d: approvalRequest({ id: 4, threadId: T, turnId: U, itemId: 'i' }),
        e: fileChangeApprovalRequest({ id: 5, threadId: T, turnId: U, itemId: 'i' }),
      });
      const all: ApprovalHandler[] = [
        ...handlers,
        () => cold<ApprovalDecision>('--#', undefined, new Error('obs error')),
        () => ({ acceptWithExecpolicyAmendment: ['x'] }), // not valid for a file change
      ];
      expectObservable(
        frames.pipe(interceptApprovals((r) => all[n++]!(r), respond, { onHandlerError: (_req, err) => errors.push(err) })),
      ).toBe('---------|');
    });
    expect(answers).toEqual([
      { frame: 0, id: 1, reply: decision('decline') },
      { frame: 2, id: 2, reply: decision('decline') },
      { frame: 4, id: 3, reply: decision('decline') },
      { frame: 8, id: 5, reply: decision('decline') },
      { frame: 8, id: 4, reply: decision('decline') }, // the Observable handler errored 2 frames after d
    ]);
    expect(errors).toHaveLength(5);
    expect((errors[0] as Error).message).toBe('handler bug');
  });

  it('an Observable handler answering after 5 frames is answered at that frame', () => {
    const { answers, respond } = recorder();
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const decision$ = cold<ApprovalDecision>('-----a|', { a: 'accept' });
      const frames = hot<JsonRpcMessage>('--a---d---|', {
        a: approvalRequest({ id: 0, threadId: T, turnId: U, itemId: 'i' }),
        d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'z' }),
      });
      expectObservable(frames.pipe(interceptApprovals(() => decision$, respond))).toBe('------d---|', {
        d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'z' }),
      });
    });
    expect(answers).toEqual([{ frame: 7, id: 0, reply: decision('accept') }]);
  });

  it('a Promise handler is answered when it resolves', async () => {
    const answers: Array<[JsonRpcId, ApprovalReply]> = [];
    const inbound = new Subject<JsonRpcMessage>();
    let resolve!: (d: ApprovalDecision) => void;
    const passed: JsonRpcMessage[] = [];
    inbound
      .pipe(
        interceptApprovals(
          () => new Promise<ApprovalDecision>((r) => (resolve = r)),
          (id, reply) => answers.push([id, reply]),
        ),
      )
      .subscribe((f) => passed.push(f));
    inbound.next(approvalRequest({ id: 'req-1', threadId: T, turnId: U, itemId: 'i' }));
    await Promise.resolve();
    expect(answers).toEqual([]);
    resolve('acceptForSession');
    await new Promise((r) => setImmediate(r));
    expect(answers).toEqual([['req-1', decision('acceptForSession')]]);
    expect(passed).toEqual([]);
  });

  it('a rejecting Promise handler declines', async () => {
    const answers: Array<[JsonRpcId, ApprovalReply]> = [];
    const inbound = new Subject<JsonRpcMessage>();
    inbound
      .pipe(
        interceptApprovals(
          () => Promise.reject(new Error('no')),
          (id, reply) => answers.push([id, reply]),
        ),
      )
      .subscribe();
    inbound.next(fileChangeApprovalRequest({ id: 0, threadId: T, turnId: U, itemId: 'i' }));
    await new Promise((r) => setImmediate(r));
    expect(answers).toEqual([[0, decision('decline')]]);
  });

  it('answers id 0 (falsy) like any other id', () => {
    const { answers, respond } = recorder();
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold<JsonRpcMessage>('-a|', { a: approvalRequest({ id: 0, threadId: T, turnId: U, itemId: 'i' }) });
      expectObservable(frames.pipe(interceptApprovals(() => 'cancel', respond))).toBe('--|');
    });
    expect(answers).toEqual([{ frame: 1, id: 0, reply: decision('cancel') }]);
  });

  it('handlerTimeoutMs declines a handler that has not decided in virtual time', () => {
    const { answers, respond } = recorder();
    const errors: unknown[] = [];
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a', { a: approvalRequest({ id: 3, threadId: T, turnId: U, itemId: 'i' }) });
      expectObservable(
        frames.pipe(interceptApprovals(() => NEVER, respond, { handlerTimeoutMs: 10, onHandlerError: (_r, e) => errors.push(e) })),
      ).toBe('-');
    });
    expect(answers).toEqual([{ frame: 11, id: 3, reply: decision('decline') }]);
    expect(errors).toEqual([expect.objectContaining({ name: 'TimeoutError' })]);
  });

  it('unsubscribing stops waiting handlers: no late answer', () => {
    const { answers, respond } = recorder();
    newScheduler().run(({ hot, cold, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a', { a: approvalRequest({ id: 3, threadId: T, turnId: U, itemId: 'i' }) });
      expectObservable(frames.pipe(interceptApprovals(() => cold<ApprovalDecision>('-----a', { a: 'accept' }), respond)), '^--!').toBe('-');
    });
    expect(answers).toEqual([]);
  });

  it('non-approval server requests with approval-like ids pass through', () => {
    const { answers, respond } = recorder();
    newScheduler().run(({ cold, expectObservable }) => {
      const other = serverRequest(0, 'item/tool/call', { threadId: T, turnId: U });
      expectObservable(cold<JsonRpcMessage>('o|', { o: other }).pipe(interceptApprovals(() => 'accept', respond))).toBe('o|', { o: other });
    });
    expect(answers).toEqual([]);
  });
});

describe('interceptApprovals: exceptions from the caller’s callbacks', () => {
  it('a respond that throws errors the stream with that exception (no unhandled error)', () => {
    const boom = new Error('respond failed');
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-d-a-d|', {
        d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'x' }),
        a: approvalRequest({ id: 0, threadId: T, turnId: U, itemId: 'c1', command: 'ls' }),
      });
      const out = frames.pipe(
        interceptApprovals(
          () => 'accept',
          () => {
            throw boom;
          },
        ),
      );
      expectObservable(out).toBe('-d-#', { d: agentDelta({ threadId: T, turnId: U, itemId: 'm', delta: 'x' }) }, boom);
    });
  });

  it('a respond that throws for an invalid request errors the stream too', () => {
    const boom = new Error('respond failed');
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a|', { a: serverRequest(3, 'item/commandExecution/requestApproval', { threadId: T }) });
      const out = frames.pipe(
        interceptApprovals(
          () => 'accept',
          () => {
            throw boom;
          },
        ),
      );
      expectObservable(out).toBe('-#', undefined, boom);
    });
  });

  it('an onHandlerError that throws errors the stream, and the request is still answered decline', () => {
    const { answers, respond } = recorder();
    const boom = new Error('reporting failed');
    newScheduler().run(({ hot, expectObservable }) => {
      const frames = hot<JsonRpcMessage>('-a|', { a: approvalRequest({ id: 7, threadId: T, turnId: U, itemId: 'c1', command: 'ls' }) });
      const out = frames.pipe(
        interceptApprovals(
          () => {
            throw new Error('handler failed');
          },
          respond,
          {
            onHandlerError: () => {
              throw boom;
            },
          },
        ),
      );
      expectObservable(out).toBe('-#', undefined, boom);
    });
    expect(answers).toEqual([{ frame: 1, id: 7, reply: decision('decline') }]);
  });
});
