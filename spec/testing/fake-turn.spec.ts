import { Observable } from 'rxjs';
import { CodexProtocolError } from '../../src/errors';
import type { ConversationStep } from '../../src/models';
import { toSteps } from '../../src/operators';
import {
  agentMessageItem,
  type FakeTurn,
  flushMicrotasks,
  genericItem,
  itemCompleted,
  turnCompleted,
  turnStarted,
} from '../../src/testing';
import { newScheduler } from '../support/marbles';
import { fakeApp } from '../support/client-fixture';
import { caught, collect, later, stepText, wire } from '../support/fake-app';

describe('FakeAppServer: scripted turns', () => {
  it('the default script echoes the text, with every frame the real server sends, in its order', async () => {
    const { server, client } = fakeApp();
    const result = await client.chatOnce('hello');
    expect(result).toMatchObject({ threadId: 'thr-1', turnId: 'turn-1', finalText: 'Echo: hello', completionSource: 'item_completed' });
    expect(wire(server)).toEqual([
      'response 1', // initialize
      'response 2', // thread/start
      'thread/started',
      'response 3', // turn/start
      'thread/status/changed',
      'turn/started',
      'item/started', // the user's message
      'item/completed',
      'item/started', // the answer
      'item/agentMessage/delta',
      'item/completed',
      'thread/tokenUsage/updated',
      'thread/status/changed',
      'turn/completed',
    ]);
    const statuses = server.sent.filter((f) => (f as { method?: string }).method === 'thread/status/changed');
    expect(statuses.map((f) => (f as { params: { status: { type: string } } }).params.status.type)).toEqual(['active', 'idle']);
    expect(server.turns.map((t) => [t.threadId, t.turnId, t.text, t.status])).toEqual([['thr-1', 'turn-1', 'hello', 'completed']]);
  });

  it('a script makes reasoning, commands, file changes and messages: chat() gets the steps, chatEvents() the deltas', async () => {
    const script = (turn: FakeTurn) => {
      turn.reasoning(['Reading the tests', 'Planning'], { id: 'r1' });
      turn.command('npm test', { id: 'c1', output: 'FAIL parser\n', exitCode: 1, deltas: ['FAIL ', 'parser\n'] });
      turn.fileChange([{ path: 'src/parser.ts', diff: '+fix' }], { id: 'f1' });
      turn.item(genericItem('webSearch', 'w1', { query: 'rxjs' }));
      turn.message(`Fixed: ${turn.text}`, { id: 'm1', deltas: ['Fixed', ': ', turn.text] });
    };
    const { client } = fakeApp({ script, routineFrames: { userMessage: false } });
    const steps = await collect(client.chat('the parser'));
    expect(steps.map(stepText)).toEqual([
      ['thinking', 'Reading the tests\nPlanning'],
      ['exec', 'npm test'],
      ['file', null],
      ['webSearch', null],
      ['codex', 'Fixed: the parser'],
    ]);
    expect(steps[1]!.data).toMatchObject({ status: 'failed', exitCode: 1, aggregatedOutput: 'FAIL parser\n' });
    expect(steps[2]!.data).toMatchObject({ changes: [{ path: 'src/parser.ts', diff: '+fix' }], status: 'completed' });

    const events = await collect(client.chatEvents('the lexer'));
    const deltas = events.flatMap((e) => (e.type === 'delta' ? [[e.itemType, e.delta]] : []));
    expect(deltas).toEqual([
      ['reasoning', 'Reading the tests'],
      ['reasoning', 'Planning'],
      ['commandExecution', 'FAIL '],
      ['commandExecution', 'parser\n'],
      ['agentMessage', 'Fixed'],
      ['agentMessage', ': '],
      ['agentMessage', 'the lexer'],
    ]);
    expect(events[0]!.type).toBe('started');
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'Fixed: the lexer' } });
  });

  it('onNextTurn scripts one turn, onTurn the later ones; a thread runs its turns in order', async () => {
    const { server, client } = fakeApp();
    server.onNextTurn((t) => t.message('first')).onNextTurn((t) => t.message('second'));
    const thread = await client.startThread();
    expect((await thread.chatOnce('a')).finalText).toBe('first');
    expect((await thread.chatOnce('b')).finalText).toBe('second');
    expect((await thread.chatOnce('c')).finalText).toBe('Echo: c');
    server.onTurn((t) => t.message(t.text.toUpperCase()));
    expect((await thread.chatOnce('d')).finalText).toBe('D');
    expect(server.turns.map((t) => [t.threadId, t.turnId])).toEqual([
      ['thr-1', 'turn-1'],
      ['thr-1', 'turn-2'],
      ['thr-1', 'turn-3'],
      ['thr-1', 'turn-4'],
    ]);
  });

  it('turn.fail() sends an error notification and a failed turn/completed: chatOnce rejects with its message', async () => {
    const { server, client } = fakeApp({ script: (t) => t.fail('upstream said 400') });
    const err = await caught(client.chatOnce('go'));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.message).toBe('upstream said 400');
    expect(wire(server).slice(-4)).toEqual(['error', 'thread/tokenUsage/updated', 'thread/status/changed', 'turn/completed']);
    expect(server.turns[0]!.status).toBe('failed');
  });

  it('a script that throws fails its turn and is reported in server.errors', async () => {
    const { server, client } = fakeApp({
      script: () => {
        throw new Error('bug in my script');
      },
    });
    const err = await caught(client.chatOnce('go'));
    expect(err.message).toBe('FakeAppServer: the turn script threw: bug in my script');
    expect(server.errors).toEqual([new Error('bug in my script')]);
  });

  it('turn.send() places frames exactly, before the turn/start response too', async () => {
    const { client } = fakeApp({
      routineFrames: false,
      script: (t) => {
        const { threadId, turnId } = t;
        t.send(
          turnStarted({ threadId, turnId }),
          itemCompleted({ threadId, turnId, item: agentMessageItem('early', 'before the response') }),
        );
        t.respond();
        t.send(turnCompleted({ threadId, turnId }));
      },
    });
    const result = await client.chatOnce('x');
    expect(result.finalText).toBe('before the response');
    expect(result.rawEvents.map((e) => e.method)).toEqual(['turn/started', 'item/completed', 'turn/completed']);
  });

  it('frames of a turn replay as marble values (record once with the fake, then test operators in virtual time)', async () => {
    const { server, client } = fakeApp({
      script: (t) => {
        t.reasoning('hmm', { id: 'r' });
        t.message('ok', { id: 'm' });
      },
    });
    await client.chatOnce('x');
    const items = server.sent.filter((f) => (f as { method?: string }).method === 'item/completed').slice(1); // without the user's message
    newScheduler().run(({ cold, expectObservable }) => {
      const frames = cold('-a-b|', { a: items[0], b: items[1] }) as Observable<any>;
      expectObservable(frames.pipe(toSteps())).toBe('-a-b|', {
        a: expect.objectContaining({ stepType: 'thinking', text: 'hmm' }),
        b: expect.objectContaining({ stepType: 'codex', text: 'ok' }),
      });
    });
  });
});

describe('FakeAppServer: approvals and user input', () => {
  it('turn.approval() asks with id 0, resolves with the decision, then sends serverRequest/resolved', async () => {
    const decisions: unknown[] = [];
    const { server, client } = fakeApp({
      script: async (turn) => {
        const decision = await turn.approval({ itemId: 'c1', command: 'rm -rf build', reason: 'clean the build' });
        decisions.push(decision);
        if (decision === 'decline') turn.command('rm -rf build', { id: 'c1', status: 'declined', exitCode: 1 });
        turn.message(`decision: ${String(decision)}`);
      },
    });
    client.setApprovalHandler((r) => (r.kind === 'command' && r.command === 'rm -rf build' ? 'decline' : 'accept'));
    const events = await collect(client.chatEvents('clean up'));
    expect(events.find((e) => e.type === 'approval')).toMatchObject({
      request: { kind: 'command', requestId: 0, itemId: 'c1', command: 'rm -rf build', reason: 'clean the build' },
    });
    expect(decisions).toEqual(['decline']);
    expect(events[events.length - 1]).toMatchObject({ type: 'completed', result: { finalText: 'decision: decline' } });
    expect(server.serverRequests).toEqual([
      expect.objectContaining({
        id: 0,
        method: 'item/commandExecution/requestApproval',
        answer: { id: 0, result: { decision: 'decline' } },
      }),
    ]);
    const after = wire(server).slice(wire(server).indexOf('item/commandExecution/requestApproval'));
    // waiting flag, the request, resolved once answered, back to plain active, then the items
    expect(after.slice(0, 3)).toEqual(['item/commandExecution/requestApproval', 'serverRequest/resolved', 'thread/status/changed']);
    expect(client.stats.pendingApprovals).toBe(0);
  });

  it('file change approvals and an accept-for-session decision reach the script', async () => {
    let seen: unknown;
    const { client } = fakeApp({
      script: async (turn) => {
        seen = await turn.approval({ kind: 'fileChange', itemId: 'f1', reason: 'write outside the workspace', grantRoot: '/etc' });
      },
    });
    client.setApprovalHandler((r) => (r.kind === 'fileChange' ? 'acceptForSession' : 'decline'));
    await client.chatOnce('edit').catch(() => undefined); // no agent message: the result does not matter here
    expect(seen).toBe('acceptForSession');
  });

  it('turn.userInput() resolves with the answers by question id', async () => {
    let answers: unknown;
    const { server, client } = fakeApp({
      script: async (turn) => {
        answers = await turn.userInput([{ id: 'q1', question: 'Proceed?' }]);
        turn.message('thanks');
      },
    });
    client.setUserInputHandler(() => ({ q1: ['yes'] }));
    await client.chatOnce('ask me');
    expect(answers).toEqual({ q1: ['yes'] });
    expect(server.serverRequests[0]!.answer).toEqual({ id: 0, result: { answers: { q1: { answers: ['yes'] } } } });
  });
});

describe('FakeAppServer: interrupt and steer', () => {
  it('turn/interrupt ends a running turn as interrupted; its pending approval is dropped and the script stops', async () => {
    const after: string[] = [];
    const { server, client } = fakeApp(
      {
        script: async (turn) => {
          turn.message('working');
          await turn.approval({ command: 'deploy' }); // never answered: the client is in manual mode
          after.push('continued');
        },
      },
      { approvalMode: 'manual' },
    );
    const steps: ConversationStep[] = [];
    const done = new Promise<unknown>((resolve) => client.chat('go').subscribe({ next: (s) => steps.push(s), error: resolve }));
    while (server.serverRequests.length === 0) await flushMicrotasks();
    await client.interruptTurn('turn-1', { threadId: 'thr-1' });
    const err = (await done) as CodexProtocolError;
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.data).toMatchObject({ id: 'turn-1', status: 'interrupted' });
    expect(steps.map(stepText)).toEqual([
      ['userMessage', null],
      ['codex', 'working'],
    ]);
    await flushMicrotasks();
    expect(after).toEqual([]);
    expect(server.turns[0]!.status).toBe('interrupted');
    expect(wire(server).slice(-4)).toEqual(['response 4', 'serverRequest/resolved', 'thread/status/changed', 'turn/completed']);
    expect(server.errors).toEqual([]);
  });

  it('turn/interrupt without a running turn answers -32600 "no active turn to interrupt"', async () => {
    const { client } = fakeApp();
    const { turnId, threadId } = await client.chatOnce('done already');
    const err = await caught(client.interruptTurn(turnId, { threadId }));
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.code).toBe(-32600);
    expect(err.message).toContain('no active turn to interrupt');
  });

  it('turn/steer hands the input to the running script; a second turn/start joins the running turn', async () => {
    const { server, client } = fakeApp({
      script: async (turn) => {
        turn.message('started');
        const more = await turn.nextSteer();
        const again = await turn.nextSteer();
        turn.message([more, again].map((i) => (i[0] as { text: string }).text).join(' + '));
      },
    });
    const result = later(client.chatOnce('first'));
    while (!server.turns[0]?.active) await flushMicrotasks();
    await expect(
      client.steerTurn({ threadId: 'thr-1', expectedTurnId: 'turn-1', inputItems: [{ type: 'text', text: 'steered', text_elements: [] }] }),
    ).resolves.toEqual({
      turnId: 'turn-1',
    });
    const joined = await client.request('turn/start', { threadId: 'thr-1', input: [{ type: 'text', text: 'joined', text_elements: [] }] });
    expect(joined.turn.id).toBe('turn-1');
    expect((await result).finalText).toBe('steered + joined');
    expect(server.turns).toHaveLength(1);
    const wrong = await caught(client.steerTurn({ threadId: 'thr-1', expectedTurnId: 'turn-1', inputItems: [] }));
    expect(wrong.message).toContain('no active turn to steer');
  });
});
