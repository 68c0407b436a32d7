/**
 * Type-level spec of the public API: checked by `tsc` (npm run typecheck), and run by jest so that
 * the runtime parts (an unstarted client's methods) are exercised too.
 */
import { expectTypeOf } from 'expect-type';
import type { Observable } from 'rxjs';
import {
  CodexAbortError,
  CodexBufferOverflowError,
  CodexClient,
  CodexError,
  CodexProtocolError,
  CodexTimeoutError,
  CodexTransportError,
  CodexTurnInactiveError,
  type ApprovalRequest,
  type ChatContinuation,
  type ChatOptions,
  type ChatResult,
  type ConversationStep,
  type ParamsOf,
  type ResultOf,
  type ThreadHandle,
  type TurnEvent,
} from 'codex-rx';
import { eachValue } from 'codex-rx/operators';
import type { ThreadStartParams } from '../../src/protocol/generated/v2/ThreadStartParams';
import type { ThreadStartResponse } from '../../src/protocol/generated/v2/ThreadStartResponse';
import type { ModelListResponse } from '../../src/protocol/generated/v2/ModelListResponse';
import type { ClientRequestMap, EnvironmentAddParams, TurnEnvironmentParams, UserInput } from 'codex-rx/protocol';
import { InMemoryTransport } from 'codex-rx/testing';

describe('public types', () => {
  const client = new CodexClient(new InMemoryTransport());
  afterAll(() => client.close());

  it('request() infers params and result from the method map', () => {
    expectTypeOf<ParamsOf<'thread/start'>>().toMatchTypeOf<ThreadStartParams>();
    // The experimental field, typed from `generate-ts --experimental`.
    expectTypeOf<ParamsOf<'thread/start'>['environments']>().toEqualTypeOf<TurnEnvironmentParams[] | null | undefined>();
    expectTypeOf<ParamsOf<'environment/add'>>().toEqualTypeOf<EnvironmentAddParams>();
    expectTypeOf<ClientRequestMap['environment/add']['experimental']>().toEqualTypeOf<true>();
    expectTypeOf<ResultOf<'thread/start'>>().toEqualTypeOf<ThreadStartResponse>();
    type Req = typeof client.request<'thread/start'>;
    expectTypeOf<Parameters<Req>[1]>().toEqualTypeOf<ParamsOf<'thread/start'> | undefined>();
    expectTypeOf<ReturnType<Req>>().toEqualTypeOf<Promise<ThreadStartResponse>>();
    expectTypeOf<ReturnType<typeof client.request$<'thread/start'>>>().toEqualTypeOf<Observable<ThreadStartResponse>>();
    expectTypeOf<ReturnType<typeof client.listModels>>().toEqualTypeOf<Promise<ModelListResponse>>();
    // A wrong params shape is a compile error.
    const wrong = () =>
      // @ts-expect-error model must be a string
      client.request('thread/start', { model: 42 });
    expectTypeOf(wrong).toBeFunction();
  });

  it('an unknown method string is allowed and typed unknown', () => {
    expectTypeOf<ParamsOf<'vendor/newMethod'>>().toBeUnknown();
    expectTypeOf<ResultOf<'vendor/newMethod'>>().toBeUnknown();
    expectTypeOf<ReturnType<typeof client.request<'vendor/newMethod'>>>().toEqualTypeOf<Promise<unknown>>();
  });

  it('chat, chatEvents and chatOnce have the documented shapes', () => {
    expectTypeOf(client.chat).returns.toEqualTypeOf<Observable<ConversationStep>>();
    expectTypeOf(client.chatEvents).returns.toEqualTypeOf<Observable<TurnEvent>>();
    expectTypeOf(client.chatOnce).returns.toEqualTypeOf<Promise<ChatResult>>();
    expectTypeOf(client.chat).parameter(0).toEqualTypeOf<string | readonly UserInput[] | undefined>();
    // Runtime too: chat() is cold and typed; nothing is sent until subscribed.
    expect(client.chat('hi')).toHaveProperty('subscribe');
  });

  it('aborts, for await and await using', () => {
    expectTypeOf<ChatOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf(client.chatIterable).returns.toEqualTypeOf<AsyncIterable<ConversationStep>>();
    expectTypeOf(client.chatEventsIterable).returns.toEqualTypeOf<AsyncIterable<TurnEvent>>();
    expectTypeOf<ThreadHandle['chatIterable']>().returns.toEqualTypeOf<AsyncIterable<ConversationStep>>();
    expectTypeOf<Parameters<ThreadHandle['chat']>[1]>().toMatchTypeOf<{ signal?: AbortSignal } | undefined>();
    expectTypeOf(eachValue(client.chat('x'))).toEqualTypeOf<AsyncIterable<ConversationStep>>();
    expectTypeOf(client).toMatchTypeOf<AsyncDisposable>();
    // the chat's options and the buffer's go together; a wrong policy fails to compile, and at run time
    // @ts-expect-error overflow is 'error' or 'dropOldest'
    expect(() => client.chatIterable('x', { threadId: 't', bufferSize: 10, overflow: 'dropNewest' })).toThrow(TypeError);
    expectTypeOf<CodexAbortError['reason']>().toBeUnknown();
    expectTypeOf<CodexBufferOverflowError['bufferSize']>().toEqualTypeOf<number>();
  });

  it('TurnEvent narrows on type', () => {
    expectTypeOf<TurnEvent['type']>().toEqualTypeOf<
      'started' | 'delta' | 'step' | 'approval' | 'usage' | 'plan' | 'diff' | 'retry' | 'environment' | 'error' | 'completed'
    >();
    expectTypeOf<Extract<TurnEvent, { type: 'delta' }>>().toHaveProperty('delta').toEqualTypeOf<string>();
    expectTypeOf<Extract<TurnEvent, { type: 'step' }>>().toHaveProperty('step').toEqualTypeOf<ConversationStep>();
    expectTypeOf<Extract<TurnEvent, { type: 'approval' }>>().toHaveProperty('request').toEqualTypeOf<ApprovalRequest>();
    expectTypeOf<Extract<TurnEvent, { type: 'completed' }>>().toHaveProperty('result').toEqualTypeOf<ChatResult>();
    const describeEvent = (e: TurnEvent): string => {
      switch (e.type) {
        case 'delta':
          expectTypeOf(e).toHaveProperty('itemId').toEqualTypeOf<string>();
          return e.delta;
        case 'completed':
          return e.result.finalText;
        case 'approval':
          if (e.request.kind === 'permissions') return JSON.stringify(e.request.permissions);
          return e.request.kind === 'command' ? (e.request.command ?? '') : (e.request.grantRoot ?? '');
        default:
          // @ts-expect-error `delta` only exists on delta events
          return String(e.delta);
      }
    };
    expect(describeEvent({ type: 'delta', threadId: 't', turnId: 'u', itemId: 'i', itemType: 'agentMessage', delta: 'x' })).toBe('x');
  });

  it('errors are classes in one hierarchy, with their names and data', () => {
    expectTypeOf<CodexProtocolError>().toMatchTypeOf<CodexError>();
    expectTypeOf<CodexTransportError>().toMatchTypeOf<CodexError>();
    expectTypeOf<CodexTurnInactiveError>().toMatchTypeOf<CodexTimeoutError>();
    expectTypeOf<CodexTurnInactiveError['continuation']>().toEqualTypeOf<ChatContinuation>();
    expectTypeOf<CodexProtocolError['code']>().toEqualTypeOf<number | undefined>();
    const c: ChatContinuation = { threadId: 't', turnId: 'u', cursor: 0, mode: 'once' };
    const errors = [
      new CodexProtocolError('p'),
      new CodexTransportError('t'),
      new CodexTimeoutError('o', { timeoutMs: 1 }),
      new CodexTurnInactiveError('i', c, 5),
      new CodexAbortError('a', { method: 'turn', reason: 'why' }),
      new CodexBufferOverflowError('b', 3),
    ];
    expect(errors.map((e) => [e.name, e instanceof CodexError])).toEqual([
      ['CodexProtocolError', true],
      ['CodexTransportError', true],
      ['CodexTimeoutError', true],
      ['CodexTurnInactiveError', true],
      ['CodexAbortError', true],
      ['CodexBufferOverflowError', true],
    ]);
  });
});
