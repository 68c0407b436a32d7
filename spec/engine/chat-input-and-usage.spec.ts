/**
 * Against the FakeAppServer: chat input beyond text (what reaches turn/start, on the client and on
 * a thread handle, and the inputs refused), and a turn's token usage surviving a resume.
 */
import { CodexTurnInactiveError } from '../../src/errors';
import type { TurnEvent } from '../../src/models';
import type { UserInput } from '../../src/protocol/generated/v2/UserInput';
import { virtualClock } from '../support/marbles';
import { fakeApp } from '../support/client-fixture';
import { caught, collect } from '../support/fake-app';
import { ZERO_STATS } from '../support/stats';

describe('chat input', () => {
  const input: UserInput[] = [
    { type: 'text', text: 'What is this?', text_elements: [] },
    { type: 'localImage', path: '/tmp/shot.png', detail: 'high' },
    { type: 'image', url: 'https://example.com/a.png' },
    { type: 'mention', name: 'repo', path: 'app://repo' },
  ];

  it('UserInput items go to turn/start as given; a string becomes one text item', async () => {
    const { server, client } = fakeApp();
    await client.chatOnce(input);
    await client.chatOnce('plain');
    expect(server.requestsOf('turn/start').map((r) => r.params.input)).toEqual([
      input,
      [{ type: 'text', text: 'plain', text_elements: [] }],
    ]);
    expect(server.turns[0]!.input).toEqual(input);
  });

  it('a thread handle takes them too, on its own thread', async () => {
    const { server, client } = fakeApp();
    const thread = await client.startThread();
    await collect(thread.chat(input.slice(1, 2)));
    const r = await thread.chatOnce([{ type: 'image', url: 'data:image/png;base64,AAAA' }]);
    expect(r.threadId).toBe(thread.threadId);
    expect(server.requestsOf('turn/start').map((q) => [q.params.threadId, q.params.input])).toEqual([
      [thread.threadId, [input[1]]],
      [thread.threadId, [{ type: 'image', url: 'data:image/png;base64,AAAA' }]],
    ]);
  });

  it('an empty list, a non-item or a non-string text is a TypeError, and nothing is sent', async () => {
    const { server, client } = fakeApp();
    expect(() => client.chat([])).toThrow(new TypeError('text: the UserInput array is empty'));
    expect(() => client.chatEvents([input[0]!, 'text' as unknown as UserInput])).toThrow(
      new TypeError('text[1] is no UserInput item (an object with a string `type`)'),
    );
    expect(await caught(client.chatOnce(42 as unknown as string))).toEqual(
      new TypeError('text must be a string or an array of UserInput items'),
    );
    expect(server.requests).toEqual([]);
  });

  it('metadata that is no JSON (a BigInt) is a TypeError naming turn/start; no turn starts, nothing is left, the client goes on', async () => {
    const { server, client } = fakeApp();
    const err = await caught(client.chatOnce('hi', { metadata: { n: 1n } }));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toMatch(/^turn\/start: params cannot be sent as JSON: .*BigInt/);
    expect(server.requestsOf('turn/start')).toEqual([]);
    expect(client.stats).toEqual(ZERO_STATS);
    expect((await client.chatOnce('again')).finalText).toBeTruthy();
  });

  it('steerTurn sends its typed items as turn/steer input', async () => {
    const { server, client } = fakeApp({
      script: async (turn) => {
        const steered = await turn.nextSteer();
        turn.message(`steered with ${steered.map((i) => i.type).join('+')}`);
      },
    });
    const events: TurnEvent[] = [];
    const done = new Promise<void>((resolve) =>
      client.chatEvents('go').subscribe({
        next: async (e) => {
          events.push(e);
          if (e.type === 'started') {
            await client.steerTurn({ threadId: e.threadId, expectedTurnId: e.turnId, inputItems: [input[1]!, input[2]!] });
          }
        },
        complete: () => resolve(),
      }),
    );
    await done;
    expect(server.requestsOf('turn/steer')[0]!.params.input).toEqual([input[1], input[2]]);
    const last = events.at(-1)!;
    expect(last.type === 'completed' && last.result.finalText).toBe('steered with localImage+image');
  });
});

describe('ChatResult.usage', () => {
  it('is the last usage of the turn', async () => {
    const { client } = fakeApp({
      routineFrames: { tokenUsage: false },
      script: (turn) => {
        turn.usage({ totalTokens: 10 });
        turn.message('one');
        turn.usage({ totalTokens: 25 }, { totalTokens: 15 });
      },
    });
    const r = await client.chatOnce('go');
    expect(r.usage?.total.totalTokens).toBe(25);
    expect(r.usage?.last.totalTokens).toBe(15);
  });

  it('null when the server sent none', async () => {
    const { client } = fakeApp({ routineFrames: { tokenUsage: false }, script: (turn) => turn.message('quiet') });
    expect((await client.chatOnce('go')).usage).toBeNull();
  });

  it('survives a timeout: chat() times out after the usage, chatEvents() resumes it, and its result has the usage', async () => {
    const clock = virtualClock();
    const { client } = fakeApp(
      {
        scheduler: clock.scheduler,
        routineFrames: { tokenUsage: false },
        script: async (turn) => {
          turn.usage({ totalTokens: 7 });
          await turn.wait(10_000);
          turn.message('late');
        },
      },
      { inactivityTimeoutMs: 3_000, requestTimeoutMs: 60_000 },
    );
    let error: unknown;
    client.chat('go').subscribe({ error: (e) => (error = e) });
    await clock.advance(3_000);
    expect(error).toBeInstanceOf(CodexTurnInactiveError);
    const events: TurnEvent[] = [];
    client
      .chatEvents(undefined, { continuation: (error as CodexTurnInactiveError).continuation, inactivityTimeoutMs: null })
      .subscribe((e) => events.push(e));
    await clock.advance(7_000);
    const last = events.at(-1);
    expect(last?.type).toBe('completed');
    expect(last?.type === 'completed' && last.result.usage?.total.totalTokens).toBe(7);
  });
});
