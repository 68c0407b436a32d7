import { filter, lastValueFrom, map, OperatorFunction, toArray, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { ConversationStep } from 'codex-rx';
import { toSteps } from 'codex-rx/operators';
import {
  advanceVirtualTime,
  agentMessageItem,
  commandExecutionItem,
  FakeAppServer,
  itemCompleted,
  reasoningItem,
  type TurnScript,
} from 'codex-rx/testing';

// ---- the code under test: your own operator, used on client.chat() -----------------------------

/** A transcript of a turn: `$ command` for each command run, then each answer; reasoning dropped. */
export function transcript(): OperatorFunction<ConversationStep, string> {
  return (steps$) =>
    steps$.pipe(
      filter((s) => s.stepType === 'exec' || s.stepType === 'codex'),
      // `item` is the protocol's typed ThreadItem: narrowing on its type gives a command's fields.
      map((s) => (s.item.type === 'commandExecution' ? `$ ${s.item.command} (exit ${s.item.exitCode ?? '?'})` : (s.text ?? ''))),
    );
}

// ---- the frames of one turn, built with codex-rx/testing ---------------------------------------

const threadId = 'thr-1';
const turnId = 'turn-1';
const thinking = itemCompleted({ threadId, turnId, item: reasoningItem('r1', ['Looking at the tests']) });
const ranTests = itemCompleted({ threadId, turnId, item: commandExecutionItem('c1', 'npm test', { exitCode: 1 }) });
const answer = itemCompleted({ threadId, turnId, item: agentMessageItem('m1', 'One test fails: parser.spec.ts') });

// ---- the same turn, as a script of the fake app-server -----------------------------------------

const failingTests: TurnScript = (turn) => {
  turn.reasoning('Looking at the tests');
  turn.command('npm test', { output: 'FAIL parser.spec.ts', exitCode: 1 });
  turn.message('One test fails: parser.spec.ts');
};

describe('transcript()', () => {
  it('turns steps into lines, in virtual time (marbles)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      // item/completed frames as they arrive; `c` repeats `b` (servers may resend an item).
      const frames = cold('-a--b-c--d|', { a: thinking, b: ranTests, c: ranTests, d: answer });
      // toSteps() is what chat() applies to a turn's frames: the same steps, deduplicated by item id.
      expectObservable(frames.pipe(toSteps(), transcript())).toBe('----x----y|', {
        x: '$ npm test (exit 1)',
        y: 'One test fails: parser.spec.ts',
      });
    });
  });

  it('works on client.chat() against the fake app-server', async () => {
    // The fake answers the handshake and thread/start, and plays each turn with the script.
    const server = new FakeAppServer({ script: failingTests });
    const client = server.client();
    try {
      const lines = await lastValueFrom(client.chat('Why do the tests fail?').pipe(transcript(), toArray()));
      expect(lines).toEqual(['$ npm test (exit 1)', 'One test fails: parser.spec.ts']);
      // What went over the wire: the user's text in turn/start, on the thread that was started.
      expect(server.requestsOf('turn/start')[0]).toMatchObject({
        params: { threadId, input: [{ type: 'text', text: 'Why do the tests fail?' }] },
      });
      // What the server did with it: one turn, completed.
      expect(server.turns.map((t) => [t.turnId, t.status])).toEqual([[turnId, 'completed']]);
    } finally {
      await client.close();
    }
  });

  it('shows what the approval handler decided', async () => {
    const server = new FakeAppServer({
      script: async (turn) => {
        // Sends item/commandExecution/requestApproval and waits for the client's answer.
        const decision = await turn.approval({ command: 'rm -rf dist', reason: 'clean the build' });
        if (decision === 'accept') turn.command('rm -rf dist');
        turn.message(decision === 'accept' ? 'Cleaned.' : 'Left dist alone.');
      },
    });
    const client = server.client();
    client.setApprovalHandler((request) => (request.kind === 'command' && request.command?.startsWith('rm ') ? 'decline' : 'accept'));
    try {
      const lines = await lastValueFrom(client.chat('Clean up').pipe(transcript(), toArray()));
      expect(lines).toEqual(['Left dist alone.']);
      expect(server.serverRequests.map((r) => r.answer)).toEqual([{ id: 0, result: { decision: 'decline' } }]);
    } finally {
      await client.close();
    }
  });

  it('reports a turn that went silent, in virtual time', async () => {
    // One scheduler for the fake (turn.wait) and the client (timeouts): no real waiting.
    const scheduler = new VirtualTimeScheduler();
    const server = new FakeAppServer({
      scheduler,
      script: async (turn) => {
        turn.message('Looking into it');
        await turn.wait(60_000);
        turn.message('Done');
      },
    });
    const client = server.client({ inactivityTimeoutMs: 30_000 });
    const seen: string[] = [];
    client
      .chat('Refactor the parser')
      .pipe(transcript())
      .subscribe({ next: (line) => seen.push(line), error: (err: Error) => seen.push(err.name) });
    try {
      await advanceVirtualTime(scheduler, 29_999);
      expect(seen).toEqual(['Looking into it']);
      await advanceVirtualTime(scheduler, 1);
      expect(seen).toEqual(['Looking into it', 'CodexTurnInactiveError']);
    } finally {
      await client.close();
    }
  });
});
