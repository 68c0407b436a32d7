import { filter, lastValueFrom, map, OperatorFunction, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CodexClient, type ConversationStep } from 'codex-rx';
import { toSteps } from 'codex-rx/operators';
import {
  agentMessageItem,
  commandExecutionItem,
  InMemoryTransport,
  itemCompleted,
  reasoningItem,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
} from 'codex-rx/testing';

// ---- the code under test: your own operator, used on client.chat() -----------------------------

/** A transcript of a turn: `$ command` for each command run, then each answer; reasoning dropped. */
export function transcript(): OperatorFunction<ConversationStep, string> {
  return (steps$) =>
    steps$.pipe(
      filter((s) => s.stepType === 'exec' || s.stepType === 'codex'),
      map((s) => (s.stepType === 'exec' ? `$ ${String(s.data.command)} (exit ${String(s.data.exitCode)})` : (s.text ?? ''))),
    );
}

// ---- the frames of one turn, built with codex-rx/testing ---------------------------------------

const threadId = 'thr-1';
const turnId = 'turn-1';
const thinking = itemCompleted({ threadId, turnId, item: reasoningItem('r1', ['Looking at the tests']) });
const ranTests = itemCompleted({ threadId, turnId, item: commandExecutionItem('c1', 'npm test', { exitCode: 1 }) });
const answer = itemCompleted({ threadId, turnId, item: agentMessageItem('m1', 'One test fails: parser.spec.ts') });

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

  it('works on client.chat() over an in-memory server', async () => {
    // A scripted server: answers the handshake, thread/start and turn/start with the turn's frames.
    const transport = new InMemoryTransport({
      autoRespond: (frame) => {
        const id = frame.id as number;
        switch (frame.method) {
          case 'initialize':
            return response(id, { userAgent: 'test/0.0', codexHome: '/tmp/codex', platformFamily: 'unix', platformOs: 'linux' });
          case 'thread/start':
            return response(id, { thread: threadObject(threadId) });
          case 'turn/start':
            return [
              response(id, { turn: turnObject(turnId) }),
              turnStarted({ threadId, turnId }),
              thinking,
              ranTests,
              answer,
              turnCompleted({ threadId, turnId }),
            ];
        }
      },
    });
    const client = new CodexClient(transport);
    try {
      const lines = await lastValueFrom(client.chat('Why do the tests fail?').pipe(transcript(), toArray()));
      expect(lines).toEqual(['$ npm test (exit 1)', 'One test fails: parser.spec.ts']);
      // What went over the wire: the user's text in turn/start, on the thread that was started.
      expect(transport.sentWithMethod('turn/start')[0]).toMatchObject({
        params: { threadId, input: [{ type: 'text', text: 'Why do the tests fail?' }] },
      });
    } finally {
      await client.close();
    }
  });
});
