/**
 * Every server request method of the pinned protocol, sent by the shipped FakeAppServer: the safe
 * default answer (never -32601), a registered `onServerRequest` handler's typed answer, a throwing
 * handler (a JSON-RPC error answer), unsubscribing (the default again), and the rules every
 * handler shares (timeout → default, its signal, one diagnostic per defaulted method).
 */
import { NEVER, of, VirtualTimeScheduler } from 'rxjs';
import type { Diagnostic } from '../../src/models';
import type { JsonRpcId } from '../../src/protocol/messages';
import type { ServerRequestMethod } from '../../src/protocol/server-messages';
import {
  advanceVirtualTime,
  applyPatchApprovalRequest,
  attestationRequest,
  authTokensRefreshRequest,
  elicitationRequest,
  execCommandApprovalRequest,
  FakeAppServer,
  flushMicrotasks,
  permissionsApprovalRequest,
  type ServerRequestFrame,
  toolCallRequest,
  userInputRequest,
} from '../../src/testing';
import { fakeApp } from '../support/client-fixture';

type Build = (id: JsonRpcId) => ServerRequestFrame;

/** One request of each method the built-ins do not otherwise cover, with its default answer. */
const CASES: Array<{ method: ServerRequestMethod; build: Build; defaultAnswer: object }> = [
  {
    method: 'mcpServer/elicitation/request',
    build: (id) => elicitationRequest({ id, threadId: 't', message: 'Your name?', requestedSchema: { type: 'object', properties: {} } }),
    defaultAnswer: { result: { action: 'decline', content: null, _meta: null } },
  },
  {
    method: 'item/permissions/requestApproval',
    build: (id) => permissionsApprovalRequest({ id, threadId: 't', turnId: 'u', itemId: 'i' }),
    defaultAnswer: { result: { permissions: {}, scope: 'turn' } },
  },
  {
    method: 'item/tool/call',
    build: (id) => toolCallRequest({ id, threadId: 't', turnId: 'u', tool: 'lookup', arguments: { key: 'a' } }),
    defaultAnswer: {
      result: { contentItems: [{ type: 'inputText', text: "no client-side tool 'lookup' on this thread" }], success: false },
    },
  },
  {
    method: 'account/chatgptAuthTokens/refresh',
    build: (id) => authTokensRefreshRequest({ id }),
    defaultAnswer: {
      error: { code: -32603, message: expect.stringContaining("client.onServerRequest('account/chatgptAuthTokens/refresh', handler)") },
    },
  },
  {
    method: 'attestation/generate',
    build: (id) => attestationRequest({ id }),
    defaultAnswer: { error: { code: -32603, message: expect.stringContaining("client.onServerRequest('attestation/generate', handler)") } },
  },
  {
    method: 'execCommandApproval',
    build: (id) => execCommandApprovalRequest({ id, conversationId: 't', callId: 'c', command: ['ls'] }),
    defaultAnswer: { result: { decision: { denied: { rejection: 'declined by the user' } } } },
  },
  {
    method: 'applyPatchApproval',
    build: (id) => applyPatchApprovalRequest({ id, conversationId: 't', callId: 'c' }),
    defaultAnswer: { result: { decision: { denied: { rejection: 'declined by the user' } } } },
  },
  {
    method: 'item/tool/requestUserInput',
    build: (id) => userInputRequest({ id, threadId: 't', turnId: 'u', itemId: 'i', questions: [{ id: 'q' }] }),
    defaultAnswer: { error: { code: -32603, message: expect.stringContaining("client.onServerRequest('item/tool/requestUserInput'") } },
  },
];

/** A typed answer per method, as a registered handler gives it. */
const ANSWERS: { [M in ServerRequestMethod]?: unknown } = {
  'mcpServer/elicitation/request': { action: 'accept', content: { name: 'Ada' }, _meta: null },
  'item/permissions/requestApproval': { permissions: { network: { enabled: true } }, scope: 'session' },
  'item/tool/call': { contentItems: [{ type: 'inputText', text: 'from the handler' }], success: true },
  'account/chatgptAuthTokens/refresh': { accessToken: 'tok', chatgptAccountId: 'acct', chatgptPlanType: null },
  'attestation/generate': { token: 'attested' },
  execCommandApproval: { decision: 'approved' },
  applyPatchApproval: { decision: 'approved_for_session' },
  'item/tool/requestUserInput': { answers: { q: { answers: ['yes'] } } },
};

describe.each(CASES)('server request $method (FakeAppServer)', ({ method, build, defaultAnswer }) => {
  it('without a handler: the safe default answer (never -32601), and one default-answer diagnostic for the method', async () => {
    const { server, client } = fakeApp();
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    await client.initialize();
    const first = await server.sendRequest(build);
    expect(first).toEqual({ id: 0, ...defaultAnswer });
    await server.sendRequest(build);
    const defaults = diagnostics.filter((d) => d.kind === 'default-answer');
    // Approvals without a handler are declined as they always were: no diagnostic for those.
    if (method === 'item/permissions/requestApproval' || method.endsWith('Approval')) expect(defaults).toEqual([]);
    else expect(defaults).toEqual([expect.objectContaining({ kind: 'default-answer', detail: { method } })]);
  });

  it('a registered handler answers with its typed result, and gets the params and {signal, requestId}', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const seen: Array<{ params: unknown; requestId: JsonRpcId; aborted: boolean }> = [];
    client.onServerRequest(method, ((params: unknown, ctx: { requestId: JsonRpcId; signal: AbortSignal }) => {
      seen.push({ params, requestId: ctx.requestId, aborted: ctx.signal.aborted });
      return Promise.resolve(ANSWERS[method]);
    }) as never);
    const answer = await server.sendRequest(build);
    expect(answer).toEqual({ id: 0, result: ANSWERS[method] });
    expect(seen).toEqual([{ params: build(0).params, requestId: 0, aborted: false }]);
  });

  it('a throwing handler: a JSON-RPC error answer with its message', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    client.onServerRequest(method, (() => {
      throw new Error('handler broke');
    }) as never);
    const answer = await server.sendRequest(build);
    expect(answer).toEqual({ id: 0, error: { code: -32603, message: `${method} handler failed: handler broke` } });
  });

  it('unsubscribing restores the default answer', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const sub = client.onServerRequest(method, (() => of(ANSWERS[method])) as never);
    expect(await server.sendRequest(build)).toEqual({ id: 0, result: ANSWERS[method] });
    sub.unsubscribe();
    expect(await server.sendRequest(build)).toEqual({ id: 1, ...defaultAnswer });
  });
});

describe('onServerRequest: shared rules', () => {
  it('the newest registration answers; unsubscribing it gives the method back to the one before', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const older = client.onServerRequest('attestation/generate', () => ({ token: 'older' }));
    const newer = client.onServerRequest('attestation/generate', () => ({ token: 'newer' }));
    expect(await server.sendRequest((id) => attestationRequest({ id }))).toMatchObject({ result: { token: 'newer' } });
    newer.unsubscribe();
    expect(await server.sendRequest((id) => attestationRequest({ id }))).toMatchObject({ result: { token: 'older' } });
    older.unsubscribe();
    expect(await server.sendRequest((id) => attestationRequest({ id }))).toMatchObject({ error: { code: -32603 } });
  });

  it('a handler that does not answer within handlerTimeoutMs gets the default answer, and its signal aborts (virtual time)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { server, client } = fakeApp({ scheduler }, { handlerTimeoutMs: 1_000, scheduler });
    await client.initialize();
    let signal: AbortSignal | undefined;
    client.onServerRequest('mcpServer/elicitation/request', (_params, ctx) => {
      signal = ctx.signal;
      return NEVER;
    });
    const answer = server.sendRequest((id) => elicitationRequest({ id, threadId: 't', message: 'm', url: 'https://example.test/login' }));
    await advanceVirtualTime(scheduler, 999);
    expect(server.serverRequests[0].answer).toBeUndefined();
    expect(signal!.aborted).toBe(false);
    await advanceVirtualTime(scheduler, 1);
    expect(await answer).toEqual({ id: 0, result: { action: 'decline', content: null, _meta: null } });
    expect(signal!.aborted).toBe(true);
  });

  it("a handler's signal aborts when the client closes; nothing is answered after", async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    let signal: AbortSignal | undefined;
    client.onServerRequest('account/chatgptAuthTokens/refresh', (_p, ctx) => {
      signal = ctx.signal;
      return NEVER;
    });
    void server.sendRequest((id) => authTokensRefreshRequest({ id })).catch(() => undefined);
    await flushMicrotasks();
    expect(signal!.aborted).toBe(false);
    await client.close();
    expect(signal!.aborted).toBe(true);
    expect(server.serverRequests[0].answer).toBeUndefined();
  });

  it("a handler's signal aborts when its turn ends", async () => {
    const server = new FakeAppServer();
    const client = server.client();
    let signal: AbortSignal | undefined;
    client.onServerRequest('item/tool/call', (_p, ctx) => {
      signal = ctx.signal;
      return NEVER;
    });
    server.onTurn(async (turn) => {
      void turn.request((id) => toolCallRequest({ id, threadId: turn.threadId, turnId: turn.turnId, tool: 'x' })).catch(() => undefined);
      await turn.wait(0);
      turn.message('done');
    });
    await client.chatOnce('go');
    expect(signal!.aborted).toBe(true);
    await client.close();
  });

  it('a method the protocol lacks is still answered -32601', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    expect(await server.sendRequest('vendor/unknown', {})).toEqual({ id: 0, error: expect.objectContaining({ code: -32601 }) });
  });
});
