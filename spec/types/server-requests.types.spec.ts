/**
 * Type-level spec of `onServerRequest` and client-side tools, written as strict consumer code: it
 * must compile (npm test's typecheck), and each `@ts-expect-error` marks misuse that must not (a
 * method the protocol lacks, a client request method, a wrong result shape, wrong params). Jest
 * runs the runtime part against a `FakeAppServer`.
 */
import { expectTypeOf } from 'expect-type';
import { of, type Subscription } from 'rxjs';
import { defineTool, type StandardSchemaV1, type ServerRequestContext, type ToolContext } from 'codex-rx';
import type { ServerRequestMethod, ServerRequestResult, v2 } from 'codex-rx/protocol';
import { attestationRequest, FakeAppServer } from 'codex-rx/testing';

describe('onServerRequest types', () => {
  it('is typed by the pinned ServerRequest union: params in, result out', async () => {
    const server = new FakeAppServer();
    const client = server.client();
    await client.initialize();

    const sub = client.onServerRequest('item/tool/call', (params, ctx) => {
      expectTypeOf(params).toEqualTypeOf<v2.DynamicToolCallParams>();
      expectTypeOf(ctx).toEqualTypeOf<ServerRequestContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      return { contentItems: [{ type: 'inputText', text: params.tool }], success: true };
    });
    expectTypeOf(sub).toEqualTypeOf<Subscription>();

    // A Promise or an Observable of the result works too.
    client.onServerRequest('mcpServer/elicitation/request', async (params) => {
      expectTypeOf(params.serverName).toEqualTypeOf<string>();
      return { action: 'decline', content: null, _meta: null };
    });
    client.onServerRequest('attestation/generate', () => of({ token: 't' }));

    // @ts-expect-error a method the protocol lacks
    client.onServerRequest('item/tool/callz', () => ({ contentItems: [], success: true }));
    // @ts-expect-error a client request method is no server request method
    client.onServerRequest('thread/start', () => ({}));
    // @ts-expect-error a wrong result shape (attestation answers { token })
    client.onServerRequest('attestation/generate', () => ({ tokn: 'x' }));
    // @ts-expect-error a wrong result shape (a tool call answers { contentItems, success })
    client.onServerRequest('item/tool/call', () => 'a string');
    // @ts-expect-error an elicitation action the protocol lacks
    client.onServerRequest('mcpServer/elicitation/request', () => ({ action: 'maybe', content: null, _meta: null }));
    client.onServerRequest('account/chatgptAuthTokens/refresh', (params) => {
      // @ts-expect-error the params have no such field
      void params.accessToken;
      return { accessToken: 'a', chatgptAccountId: 'b', chatgptPlanType: null };
    });

    expectTypeOf<ServerRequestResult<'attestation/generate'>>().toEqualTypeOf<v2.AttestationGenerateResponse>();
    expectTypeOf<'item/permissions/requestApproval'>().toMatchTypeOf<ServerRequestMethod>();

    // The runtime part: the typed handler answers.
    client.onServerRequest('attestation/generate', () => ({ token: 'typed' }));
    expect(await server.sendRequest((id) => attestationRequest({ id }))).toEqual({ id: 0, result: { token: 'typed' } });
    await client.close();
  });

  it('tools: execute gets the validator output type and a ToolContext', () => {
    const schema: StandardSchemaV1<unknown, { city: string }> = {
      '~standard': { version: 1, vendor: 'spec', validate: (v) => ({ value: v as { city: string } }) },
    };
    const tool = defineTool({
      name: 'weather',
      description: 'The weather in a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
      validator: schema,
      execute: (args, ctx) => {
        expectTypeOf(args).toEqualTypeOf<{ city: string }>();
        expectTypeOf(ctx).toEqualTypeOf<ToolContext>();
        return `sunny in ${args.city}`;
      },
    });
    defineTool({
      name: 'bad',
      description: 'x',
      inputSchema: {},
      // @ts-expect-error a tool returns a string, content items or { contentItems, success }
      execute: () => 42,
    });
    expect(tool.name).toBe('weather');
  });
});
