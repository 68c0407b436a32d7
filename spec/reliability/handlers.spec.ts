/**
 * Fault injection: approval and user-input handlers that throw or never settle. The fake app-server
 * echoes the client's answer to its server request as a `fake/answer {frame}` notification.
 */
import { filter, firstValueFrom, NEVER } from 'rxjs';
import { CodexClient } from '../../src/client';
import type { Diagnostic } from '../../src/models';
import type { StdioOptions } from '../../src/options';
import type { JsonRpcNotification } from '../../src/protocol/messages';
import { stdioFake as fakeWith } from '../support/fake-process';

const fake = (opts: StdioOptions = {}) => fakeWith([], opts);

/** Runs the turn and returns the answer the fake server received for its request. */
async function answerTo(client: CodexClient, text: string): Promise<Record<string, unknown>> {
  const answer = firstValueFrom(client.notifications$.pipe(filter((n: JsonRpcNotification) => n.method === 'fake/answer')));
  const result = await client.chatOnce(text);
  expect(result.finalText).toBe(`Echo: ${text}`);
  return ((await answer).params as { frame: Record<string, unknown> }).frame;
}

describe('an approval handler that misbehaves', () => {
  it('never settles: the request is answered decline after handlerTimeoutMs', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    let asked = 0;
    client.setApprovalHandler(() => {
      asked++;
      return new Promise(() => undefined);
    });
    const frame = await answerTo(client, 'APPROVAL');
    expect(asked).toBe(1);
    expect(frame).toEqual({ id: 0, result: { decision: 'decline' } });
    expect(diagnostics.filter((d) => d.kind === 'handler-error')).toHaveLength(1);
    expect(client.stats.pendingApprovals).toBe(0);
  });

  it('never emits (an Observable): declined after handlerTimeoutMs', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setApprovalHandler(() => NEVER);
    expect(await answerTo(client, 'APPROVAL')).toEqual({ id: 0, result: { decision: 'decline' } });
  });

  it('throws: the request is answered decline', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setApprovalHandler(() => {
      throw new Error('handler bug');
    });
    expect(await answerTo(client, 'APPROVAL')).toEqual({ id: 0, result: { decision: 'decline' } });
  });

  it('control: a handler that accepts is answered accept', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setApprovalHandler(() => 'accept');
    expect(await answerTo(client, 'APPROVAL')).toEqual({ id: 0, result: { decision: 'accept' } });
  });
});

describe('a user-input handler that misbehaves', () => {
  it('throws: the request gets an error reply naming the failure', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setUserInputHandler(() => {
      throw new Error('no idea');
    });
    const frame = await answerTo(client, 'USER_INPUT');
    expect(frame).toEqual({ id: 0, error: { code: expect.any(Number), message: expect.stringContaining('no idea') } });
  });

  it('never settles: an error reply after handlerTimeoutMs', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setUserInputHandler(() => new Promise(() => undefined));
    const frame = await answerTo(client, 'USER_INPUT');
    expect(frame).toMatchObject({
      id: 0,
      error: { code: expect.any(Number), message: expect.stringContaining('user input handler failed') },
    });
    expect(frame.result).toBeUndefined();
  });

  it('control: answers are sent in the protocol shape', async () => {
    const client = fake({ handlerTimeoutMs: 200 });
    client.setUserInputHandler((req) => ({ [req.questions[0]!.id]: ['this one'] }));
    expect(await answerTo(client, 'USER_INPUT')).toEqual({ id: 0, result: { answers: { q1: { answers: ['this one'] } } } });
  });
});

describe('a user-input handler that gives no answer of the right shape', () => {
  it.each([
    ['{ b: null }', { q1: null }, /answers for question "q1" must be a list of strings, got null/],
    ["{ a: 'yes' } (a string, not a list)", { q1: 'yes' }, /answers for question "q1" must be a list of strings, got "yes"/],
    ['a list', [['yes']], /expected an object of answers by question id/],
  ])('%s: an error reply and a handler-error diagnostic; the host and the turn go on', async (_name, value, reason) => {
    const client = fake({ handlerTimeoutMs: 2_000 });
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    client.setUserInputHandler(() => value as never);
    const frame = await answerTo(client, 'USER_INPUT');
    expect(frame).toEqual({ id: 0, error: { code: -32603, message: expect.stringMatching(reason) } });
    expect(diagnostics.filter((d) => d.kind === 'handler-error').map((d) => d.message)).toEqual([expect.stringMatching(reason)]);
  });

  it('a question whose id is __proto__ keeps its answer', async () => {
    const client = fake({ handlerTimeoutMs: 2_000 });
    client.setUserInputHandler((req) => ({ [req.questions[0]!.id]: ['yes'] }));
    const frame = await answerTo(client, 'USER_INPUT __proto__');
    const answers = (frame.result as { answers: object }).answers;
    expect(Object.keys(answers)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(answers, '__proto__')?.value).toEqual({ answers: ['yes'] });
  });
});

describe('manual approvals', () => {
  it('a late subscriber to approvalRequests$ gets the requests already pending, and can answer them', async () => {
    const client = fake({ approvalMode: 'manual' });
    const answer = firstValueFrom(client.notifications$.pipe(filter((n: JsonRpcNotification) => n.method === 'fake/answer')));
    const turn = client.chatOnce('APPROVAL');
    // Nobody listens while the request arrives.
    while (client.stats.pendingApprovals === 0) await new Promise((r) => setTimeout(r, 10));
    const late = await firstValueFrom(client.approvalRequests$);
    expect(late).toMatchObject({ kind: 'command', requestId: 0, command: 'rm -rf /tmp/x', reason: 'needs approval' });
    await client.declineApproval(late);
    expect(((await answer).params as { frame: unknown }).frame).toEqual({ id: 0, result: { decision: 'decline' } });
    expect((await turn).finalText).toBe('Echo: APPROVAL');
  });
});
