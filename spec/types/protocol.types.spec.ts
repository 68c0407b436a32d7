/**
 * Type-level spec of the typed protocol surface, written as strict consumer code: it must compile
 * (npm test's typecheck), and each `@ts-expect-error` marks misuse that must not. Jest runs the
 * runtime parts against a `FakeAppServer`.
 */
import { expectTypeOf } from 'expect-type';
import { filter, firstValueFrom, lastValueFrom, map, Observable, toArray } from 'rxjs';
import { CodexClient, type ChatResult, type ConversationStep, type InitializeResult, type StepType, type TurnEvent } from 'codex-rx';
import { ofMethod } from 'codex-rx/operators';
import type {
  CommandAction,
  CommandExecutionRequestApprovalParams,
  NotificationParams,
  ServerNotification,
  ServerRequestMessage,
  ThreadItem,
  ThreadTokenUsage,
  TurnError,
  TurnPlanStep,
  TurnPlanUpdatedNotification,
  UserInput,
  v2,
} from 'codex-rx/protocol';
import { PROTOCOL_SERVER_VERSION } from 'codex-rx/protocol';
import { FakeAppServer, InMemoryTransport } from 'codex-rx/testing';

/** What a UI shows for a step: narrowing on `item.type` gives each kind's own fields. */
function describeStep(step: ConversationStep): string {
  const item = step.item;
  switch (item.type) {
    case 'commandExecution':
      expectTypeOf(item.command).toEqualTypeOf<string>();
      expectTypeOf(item.exitCode).toEqualTypeOf<number | null>();
      expectTypeOf(item.commandActions).toEqualTypeOf<Array<CommandAction>>();
      return `$ ${item.command} (exit ${item.exitCode ?? '?'})`;
    case 'agentMessage':
      // @ts-expect-error an agent message has no command
      void item.command;
      return item.text;
    case 'reasoning':
      return item.summary.join('\n');
    case 'fileChange':
      return item.changes.map((c) => c.path).join(', ');
    default:
      return step.stepType;
  }
}

describe('typed protocol: compile-time', () => {
  const client = new CodexClient(new InMemoryTransport());
  afterAll(() => client.close());

  it('notifications$ is the generated ServerNotification union; narrowing on method types params', () => {
    expectTypeOf(client.notifications$).toEqualTypeOf<Observable<ServerNotification>>();
    const completedItems = client.notifications$.pipe(
      filter((n) => n.method === 'item/completed'),
      map((n) => (n.method === 'item/completed' ? n.params.item : null)),
    );
    expectTypeOf(completedItems).toEqualTypeOf<Observable<ThreadItem | null>>();
  });

  it('ofMethod narrows to one method params, and rejects a method the pinned protocol lacks', () => {
    const plans = client.notifications$.pipe(ofMethod('turn/plan/updated'));
    expectTypeOf(plans).toEqualTypeOf<Observable<TurnPlanUpdatedNotification>>();
    expectTypeOf(plans).toEqualTypeOf<Observable<NotificationParams<'turn/plan/updated'>>>();
    // It works on every frame stream.
    expectTypeOf(client.frames$.pipe(ofMethod('turn/diff/updated'))).toEqualTypeOf<Observable<v2.TurnDiffUpdatedNotification>>();
    // @ts-expect-error no such notification in the pinned protocol
    client.notifications$.pipe(ofMethod('turn/planUpdated'));
    // @ts-expect-error a client request method is no server method
    client.notifications$.pipe(ofMethod('thread/start'));
  });

  it('server requests: serverRequests$ is typed by ServerRequest, and ofMethod narrows them too', () => {
    expectTypeOf(client.serverRequests$).toEqualTypeOf<Observable<ServerRequestMessage>>();
    const approvals = client.serverRequests$.pipe(ofMethod('item/commandExecution/requestApproval'));
    expectTypeOf(approvals).toEqualTypeOf<Observable<CommandExecutionRequestApprovalParams>>();
    // @ts-expect-error no such server request
    client.serverRequests$.pipe(ofMethod('item/commandExecution/approve'));
  });

  it('a step item narrows on item.type; stepType is a literal union with a string fallback', () => {
    expectTypeOf<ConversationStep['item']>().toEqualTypeOf<ThreadItem>();
    expectTypeOf<'exec' | 'codex' | 'thinking' | 'tool' | 'file' | 'webSearch' | 'plan'>().toMatchTypeOf<StepType>();
    // The renamed item types are not labels of their own.
    expectTypeOf<Extract<StepType, 'commandExecution' | 'agentMessage' | 'reasoning'>>().toBeNever();
    expectTypeOf<Extract<StepType, 'webSearch'>>().toEqualTypeOf<'webSearch'>();
    // A newer server's item type still fits.
    const future: StepType = 'someFutureItem';
    expectTypeOf(future).toMatchTypeOf<string>();
    const unnarrowed = (step: ConversationStep) =>
      // @ts-expect-error `command` exists only on a commandExecution item: narrow first
      step.item.command;
    void unnarrowed;
  });

  it('TurnEvent carries typed usage, plan, diff, retry and error events; ChatResult.usage is typed', () => {
    expectTypeOf<Extract<TurnEvent, { type: 'usage' }>['usage']>().toEqualTypeOf<ThreadTokenUsage>();
    expectTypeOf<Extract<TurnEvent, { type: 'plan' }>['plan']>().toEqualTypeOf<readonly TurnPlanStep[]>();
    expectTypeOf<Extract<TurnEvent, { type: 'diff' }>['diff']>().toEqualTypeOf<string>();
    expectTypeOf<Extract<TurnEvent, { type: 'retry' }>['error']>().toEqualTypeOf<TurnError>();
    expectTypeOf<Extract<TurnEvent, { type: 'error' }>['error']>().toEqualTypeOf<TurnError>();
    expectTypeOf<ChatResult['usage']>().toEqualTypeOf<ThreadTokenUsage | null>();
    const tokens = (e: TurnEvent): number => {
      if (e.type === 'usage') return e.usage.last.totalTokens;
      // @ts-expect-error only usage events carry usage
      return e.usage;
    };
    void tokens;
  });

  it('chat input: a string or the protocol UserInput items; steerTurn takes typed items', () => {
    const image: UserInput[] = [
      { type: 'text', text: 'What is in this picture?', text_elements: [] },
      { type: 'localImage', path: '/tmp/cat.png' },
      { type: 'image', url: 'https://example.com/cat.png' },
    ];
    // Never called: a chatOnce would start a turn. Only the types are checked.
    const misuse = () => {
      expectTypeOf(client.chat(image)).toEqualTypeOf<Observable<ConversationStep>>();
      expectTypeOf(client.chatOnce(image, { threadId: 't' })).toEqualTypeOf<Promise<ChatResult>>();
      // @ts-expect-error an image input needs a url or a fileId
      client.chat([{ type: 'image' }]);
      // @ts-expect-error no such input kind
      client.chatEvents([{ type: 'video', url: 'x' }]);
      // @ts-expect-error a text item needs its text_elements (a plain string needs none)
      client.chatOnce([{ type: 'text', text: 'hi' }]);
      return client.steerTurn({
        threadId: 't',
        expectedTurnId: 'u',
        // @ts-expect-error a localImage needs its path
        inputItems: [{ type: 'localImage' }],
      });
    };
    expectTypeOf(misuse).toBeFunction();
  });

  it('InitializeResult.serverVersion, and the pinned version from codex-rx/protocol', () => {
    expectTypeOf<InitializeResult['serverVersion']>().toEqualTypeOf<string | null>();
    expectTypeOf(PROTOCOL_SERVER_VERSION).toEqualTypeOf<string>();
  });

  it('approval requests carry the typed command actions', () => {
    client.setApprovalHandler((req) => {
      if (req.kind !== 'command') return 'decline';
      expectTypeOf(req.commandActions).toEqualTypeOf<readonly CommandAction[] | null>();
      return req.commandActions?.some((a) => a.type === 'read' && a.path.endsWith('.md')) ? 'accept' : 'decline';
    });
    client.setApprovalHandler(null);
  });
});

describe('typed protocol: the same code at run time', () => {
  it('narrows real steps and picks notifications with ofMethod', async () => {
    const server = new FakeAppServer({
      script: (turn) => {
        turn.command('npm test', { output: 'ok', exitCode: 0 });
        turn.message('Tests pass.');
      },
    });
    const client = server.client();
    try {
      const usage = firstValueFrom(client.notifications$.pipe(ofMethod('thread/tokenUsage/updated')));
      const steps = await lastValueFrom(client.chat('run the tests').pipe(toArray()));
      expect(steps.map(describeStep)).toEqual(['userMessage', '$ npm test (exit 0)', 'Tests pass.']);
      expect((await usage).turnId).toBe(steps[0]!.turnId);
    } finally {
      await client.close();
    }
  });
});
