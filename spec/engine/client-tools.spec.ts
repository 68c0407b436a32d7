/**
 * Client-side tools with the FakeAppServer: what `thread/start` and `initialize` carry, each shape
 * `execute` may return, which thread a tool belongs to, and when its signal aborts.
 */
import { NEVER, of, VirtualTimeScheduler } from 'rxjs';
import type { JsonRpcId } from '../../src/protocol/messages';
import { advanceVirtualTime, flushMicrotasks, toolCallRequest } from '../../src/testing';
import { defineTool, type ToolContext, type ToolReturn } from '../../src/tools';
import { fakeApp } from '../support/client-fixture';

const tool = (name: string, execute: (args: any, ctx: ToolContext) => ToolReturn) =>
  defineTool({ name, description: `the ${name} tool`, inputSchema: { type: 'object' }, execute });

describe('client-side tools (FakeAppServer)', () => {
  it('initialize carries experimentalApi and the other capabilities; initialize() params win key by key', async () => {
    const { server, client } = fakeApp(
      {},
      { experimentalApi: true, capabilities: { optOutNotificationMethods: ['thread/started'], requestAttestation: true } },
    );
    await client.initialize({ capabilities: { requestAttestation: false } });
    expect(server.requestsOf('initialize')[0].params.capabilities).toEqual({
      experimentalApi: true,
      optOutNotificationMethods: ['thread/started'],
      requestAttestation: false,
    });
  });

  it('thread/start carries namespaced tools as namespace specs', async () => {
    const { server, client } = fakeApp({}, { experimentalApi: true });
    await client.startThread({
      tools: [tool('a', () => 'a'), { ...tool('b', () => 'b'), namespace: 'ns' }, { ...tool('c', () => 'c'), namespace: 'ns' }],
    });
    expect((server.requestsOf('thread/start')[0].params as any).dynamicTools).toEqual([
      { type: 'function', name: 'a', description: 'the a tool', inputSchema: { type: 'object' } },
      {
        type: 'namespace',
        name: 'ns',
        description: 'Tools of ns',
        tools: [
          { type: 'function', name: 'b', description: 'the b tool', inputSchema: { type: 'object' } },
          { type: 'function', name: 'c', description: 'the c tool', inputSchema: { type: 'object' } },
        ],
      },
    ]);
  });

  it.each<[string, ToolReturn, object]>([
    ['a string', 'plain', { contentItems: [{ type: 'inputText', text: 'plain' }], success: true }],
    [
      'content items',
      [
        { type: 'inputText', text: 'look' },
        { type: 'inputImage', imageUrl: 'data:image/png;base64,AA==' },
      ],
      {
        contentItems: [
          { type: 'inputText', text: 'look' },
          { type: 'inputImage', imageUrl: 'data:image/png;base64,AA==' },
        ],
        success: true,
      },
    ],
    [
      '{ contentItems, success: false }',
      { contentItems: [{ type: 'inputText', text: 'no luck' }], success: false },
      { contentItems: [{ type: 'inputText', text: 'no luck' }], success: false },
    ],
    ['an Observable', of('first', 'second'), { contentItems: [{ type: 'inputText', text: 'first' }], success: true }],
    ['a rejected Promise', Promise.reject(new Error('nope')), { contentItems: [{ type: 'inputText', text: 'nope' }], success: false }],
    [
      'something else',
      42 as unknown as ToolReturn,
      { contentItems: [{ type: 'inputText', text: expect.stringContaining('a tool must return a string') }], success: false },
    ],
  ])('execute returning %s: its answer', async (_label, output, answer) => {
    if (output instanceof Promise) output.catch(() => undefined);
    const { server, client } = fakeApp({}, { experimentalApi: true });
    const contexts: ToolContext[] = [];
    const thread = await client.startThread({ tools: [tool('t', (_args, ctx) => (contexts.push(ctx), output))] });
    const reply = await server.sendRequest((id: JsonRpcId) =>
      toolCallRequest({ id, threadId: thread.threadId, turnId: 'u', tool: 't', callId: 'call-9' }),
    );
    expect(reply).toEqual({ id: 0, result: answer });
    expect(contexts).toEqual([expect.objectContaining({ threadId: thread.threadId, turnId: 'u', callId: 'call-9' })]);
  });

  it('chat with threadConfig.tools starts a thread with them; the turn gets the tool answer', async () => {
    const { server, client } = fakeApp({}, { experimentalApi: true });
    server.onTurn(async (turn) => {
      const answer = await turn.request((id) =>
        toolCallRequest({ id, threadId: turn.threadId, turnId: turn.turnId, tool: 'upper', arguments: { text: turn.text } }),
      );
      turn.message(`tool said ${JSON.stringify(answer)}`);
    });
    const result = await client.chatOnce('shout', {
      threadConfig: { tools: [tool('upper', (args: { text: string }) => args.text.toUpperCase())] },
    });
    expect((server.requestsOf('thread/start')[0].params as any).dynamicTools).toEqual([
      { type: 'function', name: 'upper', description: 'the upper tool', inputSchema: { type: 'object' } },
    ]);
    expect(result.finalText).toBe(
      `tool said ${JSON.stringify({ id: 0, result: { contentItems: [{ type: 'inputText', text: 'SHOUT' }], success: true } })}`,
    );
  });

  it("a tool runs only for its own thread; another thread's call of it gets the unknown-tool answer", async () => {
    const { server, client } = fakeApp({}, { experimentalApi: true });
    let runs = 0;
    await client.startThread({ tools: [tool('mine', () => (runs++, 'ran'))] });
    const other = await client.startThread();
    const reply = await server.sendRequest((id) => toolCallRequest({ id, threadId: other.threadId, turnId: 'u', tool: 'mine' }));
    expect(reply).toEqual({
      id: 0,
      result: { contentItems: [{ type: 'inputText', text: "no client-side tool 'mine' on this thread" }], success: false },
    });
    expect(runs).toBe(0);
  });

  it('a tool that gives no answer within handlerTimeoutMs: success: false saying so, and its signal aborts (virtual time)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { server, client } = fakeApp({ scheduler }, { experimentalApi: true, handlerTimeoutMs: 500, scheduler });
    let signal: AbortSignal | undefined;
    const thread = await client.startThread({ tools: [tool('stuck', (_a, ctx) => ((signal = ctx.signal), NEVER))] });
    const reply = server.sendRequest((id) => toolCallRequest({ id, threadId: thread.threadId, turnId: 'u', tool: 'stuck' }));
    await advanceVirtualTime(scheduler, 499);
    expect(signal!.aborted).toBe(false);
    await advanceVirtualTime(scheduler, 1);
    expect(await reply).toEqual({
      id: 0,
      result: { contentItems: [{ type: 'inputText', text: "tool 'stuck' gave no answer within 500 ms" }], success: false },
    });
    expect(signal!.aborted).toBe(true);
  });

  it("aborting the chat's signal aborts the running tool's signal", async () => {
    const { server, client } = fakeApp({}, { experimentalApi: true });
    let signal: AbortSignal | undefined;
    const thread = await client.startThread({ tools: [tool('slow', (_a, ctx) => ((signal = ctx.signal), NEVER))] });
    server.onTurn(async (turn) => {
      await turn.request((id) => toolCallRequest({ id, threadId: turn.threadId, turnId: turn.turnId, tool: 'slow' }));
    });
    const controller = new AbortController();
    const chat = thread.chatOnce('go', { signal: controller.signal }).catch((err: Error) => err);
    for (let i = 0; i < 20 && !signal; i++) await flushMicrotasks();
    expect(signal!.aborted).toBe(false);
    controller.abort();
    expect(((await chat) as Error).name).toBe('CodexAbortError');
    expect(signal!.aborted).toBe(true);
  });

  it('tools refused at once with a TypeError: on resume or fork, twice the same name, without execute', async () => {
    const { client } = fakeApp({}, { experimentalApi: true });
    const t = tool('t', () => 'x');
    await expect(client.resumeThread('thr-x', { overrides: { tools: [t] } })).rejects.toThrow(/new thread only/);
    await expect(client.forkThread('thr-x', { overrides: { tools: [t] } })).rejects.toThrow(/new thread only/);
    expect(() => client.chat('x', { threadId: 'thr-x', threadConfig: { tools: [t] } })).toThrow(/new thread only/);
    await expect(client.startThread({ tools: [t, t] })).rejects.toThrow(/defined twice/);
    await expect(client.startThread({ tools: [{ name: 'n', description: '', inputSchema: {} } as never] })).rejects.toThrow(TypeError);
  });
});
