/**
 * End-to-end: client-side ("dynamic") tools against the REAL `codex app-server` and the scripted
 * model, whose `CALL <name> <json>` directive calls a function tool by name and then answers
 * `Tool <name> said: <output>` with the output the server sent it (see src/testing/scripted-model.ts).
 *
 * What the real server does here (0.171.0): with `experimentalApi` and `dynamicTools` on
 * `thread/start`, a model call of the tool is an `item/started` of type `dynamicToolCall`, then the
 * server request `item/tool/call {threadId, turnId, callId, namespace, tool, arguments}`; the answer's
 * text is the model's `function_call_output`, and the item completes with `success` and `contentItems`.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { StdioTransport } from '../../src/streams/stdio';
import { CodexProtocolError } from '../../src/errors';
import type { ConversationStep, Diagnostic } from '../../src/models';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { defineTool, type StandardSchemaV1, type ToolContext } from '../../src/tools';

jest.setTimeout(60_000);

/** A tiny Standard Schema v1 validator: an object with a string `key`. */
const keySchema: StandardSchemaV1<unknown, { key: string }> = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate: (value) =>
      typeof (value as { key?: unknown })?.key === 'string'
        ? { value: { key: (value as { key: string }).key } }
        : { issues: [{ message: 'expected a string', path: ['key'] }] },
  },
};

/** A stdio client of `off` that records every frame it writes. */
function recordingClient(off: OfflineCodex, options: { experimentalApi?: boolean } = {}): { client: CodexClient; sent: any[] } {
  const sent: any[] = [];
  const transport = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
  const send = transport.send.bind(transport);
  transport.send = (message: string) => {
    sent.push(JSON.parse(message));
    return send(message);
  };
  return { client: new CodexClient(transport, options), sent };
}

/** The outputs of function calls the model received, by call id. */
function outputsSeenByModel(off: OfflineCodex): Array<{ call_id: string; output: string }> {
  return off.model.requests.map((r) => r.lastFunctionCallOutput).filter((o): o is { call_id: string; output: string } => o !== null);
}

describe('client-side tools, real app-server', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  let sent: any[];
  const frames: JsonRpcMessage[] = [];
  const diagnostics: Diagnostic[] = [];
  const calls: Array<{ args: unknown; ctx: ToolContext }> = [];

  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks a key up',
    inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
    validator: keySchema,
    execute: async (args, ctx) => {
      calls.push({ args, ctx });
      return `value of ${args.key}`;
    },
  });
  const boom = defineTool({
    name: 'boom',
    description: 'Always fails',
    inputSchema: { type: 'object' },
    execute: () => {
      throw new Error('the boom tool broke');
    },
  });
  let aborted: { reason: unknown } | null = null;
  const wait = defineTool({
    name: 'wait',
    description: 'Waits until its call is aborted',
    inputSchema: { type: 'object' },
    execute: (_args, ctx) =>
      new Promise<string>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = { reason: ctx.signal.reason };
          resolve('aborted');
        });
        // The turn is interrupted while the tool runs.
        void client.interruptTurn(ctx.turnId, { threadId: ctx.threadId });
      }),
  });
  const tools = [lookup, boom, wait];

  beforeAll(async () => {
    off = await startOfflineCodex();
    ({ client, sent } = recordingClient(off, { experimentalApi: true }));
    client.frames$.subscribe((f) => frames.push(f));
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    await client.initialize();
  });

  afterAll(async () => {
    await client?.close();
    await off?.dispose();
  });

  it('initialize declares the experimental API; thread/start carries the tools as dynamicTools', async () => {
    expect(sent.find((f) => f.method === 'initialize').params.capabilities).toEqual({ experimentalApi: true });
    await client.startThread({ cwd: off.workspace, tools: [lookup] });
    expect(sent.filter((f) => f.method === 'thread/start').pop().params.dynamicTools).toEqual([
      { type: 'function', name: 'lookup', description: 'Looks a key up', inputSchema: lookup.inputSchema },
    ]);
  });

  it("a tool's result reaches the model and the turn completes; the dynamicToolCall item is a step", async () => {
    const thread = await client.startThread({ cwd: off.workspace, tools });
    const steps: ConversationStep[] = await lastValueFrom(thread.chat('CALL lookup {"key":"alpha"}').pipe(toArray()));

    expect(calls).toHaveLength(1);
    expect(calls[0].args).toEqual({ key: 'alpha' });
    expect(calls[0].ctx).toMatchObject({ threadId: thread.threadId, turnId: steps[0].turnId });
    expect(typeof calls[0].ctx.callId).toBe('string');
    expect(calls[0].ctx.signal.aborted).toBe(false);

    const outputs = outputsSeenByModel(off);
    expect(outputs[outputs.length - 1]).toEqual({ call_id: calls[0].ctx.callId, output: 'value of alpha' });

    const tool = steps.find((s) => s.itemType === 'dynamicToolCall');
    expect(tool).toMatchObject({ stepType: 'dynamicToolCall', status: 'completed', text: 'value of alpha' });
    expect(tool!.item).toMatchObject({
      type: 'dynamicToolCall',
      tool: 'lookup',
      arguments: { key: 'alpha' },
      success: true,
      contentItems: [{ type: 'inputText', text: 'value of alpha' }],
    });
    expect(steps[steps.length - 1].text).toBe('Tool lookup said: value of alpha');
  });

  it('chatEvents: the tool call is a step event, and item/tool/call is in the raw events', async () => {
    const thread = await client.startThread({ cwd: off.workspace, tools });
    const events = await lastValueFrom(thread.chatEvents('CALL lookup {"key":"beta"}').pipe(toArray()));
    const stepEvents = events.filter((e) => e.type === 'step' && e.step.itemType === 'dynamicToolCall');
    expect(stepEvents).toHaveLength(1);
    expect(stepEvents[0]).toMatchObject({ type: 'step', step: { text: 'value of beta', item: { tool: 'lookup', success: true } } });
    const completed = events[events.length - 1];
    expect(completed.type).toBe('completed');
    if (completed.type !== 'completed') return;
    expect(completed.result.finalText).toBe('Tool lookup said: value of beta');
    expect(completed.result.rawEvents.filter((e) => e.method === 'item/tool/call')).toEqual([
      expect.objectContaining({ params: expect.objectContaining({ tool: 'lookup', arguments: { key: 'beta' } }) }),
    ]);
  });

  it('a throwing tool answers success: false with its message; the turn goes on', async () => {
    const thread = await client.startThread({ cwd: off.workspace, tools });
    const result = await thread.chatOnce('CALL boom {}');
    expect(result.finalText).toBe('Tool boom said: the boom tool broke');
    const item = result.rawEvents.find((e) => e.method === 'item/completed' && (e.params as any).item.type === 'dynamicToolCall');
    expect((item!.params as any).item).toMatchObject({
      success: false,
      contentItems: [{ type: 'inputText', text: 'the boom tool broke' }],
    });
  });

  it('arguments the validator rejects answer success: false with its issues; execute does not run', async () => {
    const before = calls.length;
    const thread = await client.startThread({ cwd: off.workspace, tools });
    const result = await thread.chatOnce('CALL lookup {"key":42}');
    expect(calls).toHaveLength(before);
    expect(result.finalText).toBe("Tool lookup said: invalid arguments for tool 'lookup': key: expected a string");
  });

  it("an interrupted turn aborts the tool's signal; the turn ends interrupted", async () => {
    const thread = await client.startThread({ cwd: off.workspace, tools });
    await expect(thread.chatOnce('CALL wait {}')).rejects.toThrow(CodexProtocolError);
    expect(aborted).not.toBeNull();
    expect(String((aborted!.reason as Error).message)).toMatch(/no longer wanted/);
    expect(client.stats).toMatchObject({ turns: 0, pendingRequests: 0 });
  });

  it('a thread started on this connection takes chatOnce by id before its first turn (no thread/resume)', async () => {
    const started = await client.request('thread/start', { cwd: off.workspace });
    const result = await client.chatOnce('ECHO first', { threadId: started.thread.id });
    expect(result.finalText).toBe('Echo: first');
    expect(sent.filter((f) => f.method === 'thread/resume')).toEqual([]);
  });
});

describe('client-side tools without experimentalApi, real app-server', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  /** Frames the client wrote to the server. */
  let sent: any[];
  const tool = defineTool({ name: 'lookup', description: 'x', inputSchema: { type: 'object' }, execute: () => 'x' });

  beforeAll(async () => {
    off = await startOfflineCodex();
    ({ client, sent } = recordingClient(off));
    await client.initialize();
    // A client that asked for no capabilities sends the handshake it always sent.
    expect(sent[0].params.capabilities).toBeUndefined();
    sent.length = 0;
  });

  afterAll(async () => {
    await client?.close();
    await off?.dispose();
  });

  it('startThread({ tools }) rejects with a TypeError naming the option; nothing is sent', async () => {
    const before = client.stats;
    await expect(client.startThread({ tools: [tool] })).rejects.toThrow(TypeError);
    await expect(client.startThread({ tools: [tool] })).rejects.toThrow(/experimentalApi/);
    expect(client.stats).toEqual(before);
    expect(sent).toEqual([]);
  });

  it('chat with threadConfig.tools fails at once with that TypeError', () => {
    expect(() => client.chat('ECHO x', { threadConfig: { tools: [tool] } })).toThrow(/ClientOptions\.experimentalApi/);
    return expect(client.chatOnce('ECHO x', { threadConfig: { tools: [tool] } })).rejects.toThrow(TypeError);
  });

  it('nothing was sent for the refused tools', () => {
    expect(sent).toEqual([]);
  });
});
