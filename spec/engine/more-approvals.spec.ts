/**
 * Permissions requests and the legacy approvals go to the approval handler, manual mode and
 * `approvalRequests$`, and are answered in their own shapes; the MCP elicitation helper.
 */
import { firstValueFrom } from 'rxjs';
import { elicitationHandler, type FormElicitation, type UrlElicitation } from '../../src/elicitation';
import type { ApprovalDecision, ApprovalRequest, Diagnostic } from '../../src/models';
import type { JsonRpcId } from '../../src/protocol/messages';
import {
  applyPatchApprovalRequest,
  elicitationRequest,
  execCommandApprovalRequest,
  flushMicrotasks,
  permissionsApprovalRequest,
} from '../../src/testing';
import { fakeApp } from '../support/client-fixture';

const asked = { network: { enabled: true }, fileSystem: { read: ['/data'], write: null } };
const permissions = (id: JsonRpcId) =>
  permissionsApprovalRequest({ id, threadId: 't', turnId: 'u', itemId: 'i', permissions: asked, reason: 'needs the network' });

describe('item/permissions/requestApproval is an approval (kind: permissions)', () => {
  it.each<[ApprovalDecision, object]>([
    ['accept', { permissions: asked, scope: 'turn' }],
    ['acceptForSession', { permissions: asked, scope: 'session' }],
    ['decline', { permissions: {}, scope: 'turn' }],
    ['cancel', { permissions: {}, scope: 'turn' }],
  ])('the handler decides %j: answered %j', async (decision, result) => {
    const { server, client } = fakeApp();
    await client.initialize();
    const seen: ApprovalRequest[] = [];
    client.setApprovalHandler((request) => {
      seen.push(request);
      return decision;
    });
    expect(await server.sendRequest(permissions)).toEqual({ id: 0, result });
    expect(seen).toEqual([
      expect.objectContaining({
        kind: 'permissions',
        requestId: 0,
        threadId: 't',
        turnId: 'u',
        itemId: 'i',
        reason: 'needs the network',
        permissions: asked,
        cwd: '/workspace',
        method: 'item/permissions/requestApproval',
      }),
    ]);
  });

  it('grants only what was asked (a null part is not granted)', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    client.setApprovalHandler(() => 'accept');
    const answer = await server.sendRequest((id) =>
      permissionsApprovalRequest({
        id,
        threadId: 't',
        turnId: 'u',
        itemId: 'i',
        permissions: { network: { enabled: true }, fileSystem: null },
      }),
    );
    expect(answer).toEqual({ id: 0, result: { permissions: { network: { enabled: true } }, scope: 'turn' } });
  });

  it('an execpolicy amendment is no permissions decision: declined, reported', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    client.setApprovalHandler(() => ({ acceptWithExecpolicyAmendment: ['ls'] }));
    expect(await server.sendRequest(permissions)).toEqual({ id: 0, result: { permissions: {}, scope: 'turn' } });
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'handler-error',
        message: expect.stringContaining('applies to command approvals only, not to permissions'),
      }),
    ]);
  });

  it('manual mode: waits for approveApproval, seen on approvalRequests$', async () => {
    const { server, client } = fakeApp({}, { approvalMode: 'manual' });
    await client.initialize();
    const request = firstValueFrom(client.approvalRequests$);
    const answer = server.sendRequest(permissions);
    const seen = await request;
    expect(seen.kind).toBe('permissions');
    await flushMicrotasks();
    expect(server.serverRequests[0].answer).toBeUndefined();
    await client.approveApproval(seen, { forSession: true });
    expect(await answer).toEqual({ id: 0, result: { permissions: asked, scope: 'session' } });
  });
});

describe('legacy execCommandApproval / applyPatchApproval go to the approval handler, answered as ReviewDecision', () => {
  it.each<[ApprovalDecision, unknown]>([
    ['accept', 'approved'],
    ['acceptForSession', 'approved_for_session'],
    ['decline', { denied: { rejection: 'declined by the user' } }],
    ['cancel', 'abort'],
    [{ acceptWithExecpolicyAmendment: ['ls', '-l'] }, { approved_execpolicy_amendment: { proposed_execpolicy_amendment: ['ls', '-l'] } }],
  ])('execCommandApproval, decision %j: %j', async (decision, wire) => {
    const { server, client } = fakeApp();
    await client.initialize();
    const seen: ApprovalRequest[] = [];
    client.setApprovalHandler((r) => (seen.push(r), decision));
    const answer = await server.sendRequest((id) =>
      execCommandApprovalRequest({ id, conversationId: 'thr', callId: 'call-1', command: ['ls', '-l'], cwd: '/w', reason: 'look' }),
    );
    expect(answer).toEqual({ id: 0, result: { decision: wire } });
    expect(seen).toEqual([
      expect.objectContaining({
        kind: 'command',
        method: 'execCommandApproval',
        threadId: 'thr',
        turnId: '',
        itemId: 'call-1',
        command: 'ls -l',
        cwd: '/w',
        reason: 'look',
      }),
    ]);
  });

  it('applyPatchApproval: a fileChange request; accept → approved', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const seen: ApprovalRequest[] = [];
    client.setApprovalHandler((r) => (seen.push(r), 'accept'));
    const answer = await server.sendRequest((id) =>
      applyPatchApprovalRequest({ id, conversationId: 'thr', callId: 'p1', grantRoot: '/w' }),
    );
    expect(answer).toEqual({ id: 0, result: { decision: 'approved' } });
    expect(seen).toEqual([expect.objectContaining({ kind: 'fileChange', method: 'applyPatchApproval', itemId: 'p1', grantRoot: '/w' })]);
  });
});

describe('elicitationHandler (MCP elicitation)', () => {
  const schema = { type: 'object' as const, properties: { name: { type: 'string' as const } }, required: ['name'] };

  it('form mode: the message and schema in, accept with content out', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const forms: FormElicitation[] = [];
    client.onServerRequest(
      'mcpServer/elicitation/request',
      elicitationHandler({ form: async (request) => (forms.push(request), { action: 'accept', content: { name: 'Ada' } }) }),
    );
    const answer = await server.sendRequest((id) =>
      elicitationRequest({ id, threadId: 't', turnId: 'u', serverName: 'crm', message: 'Your name?', requestedSchema: schema }),
    );
    expect(answer).toEqual({ id: 0, result: { action: 'accept', content: { name: 'Ada' }, _meta: null } });
    expect(forms).toEqual([
      expect.objectContaining({
        mode: 'form',
        threadId: 't',
        turnId: 'u',
        serverName: 'crm',
        message: 'Your name?',
        requestedSchema: schema,
        requestId: 0,
      }),
    ]);
  });

  it('url mode: the URL in; cancel out. A mode without a callback is declined', async () => {
    const { server, client } = fakeApp();
    await client.initialize();
    const urls: UrlElicitation[] = [];
    const sub = client.onServerRequest(
      'mcpServer/elicitation/request',
      elicitationHandler({ url: (r) => (urls.push(r), { action: 'cancel' }) }),
    );
    const answer = await server.sendRequest((id) =>
      elicitationRequest({ id, threadId: 't', message: 'Sign in', url: 'https://example.test/login', elicitationId: 'e1' }),
    );
    expect(answer).toEqual({ id: 0, result: { action: 'cancel', content: null, _meta: null } });
    expect(urls).toEqual([
      expect.objectContaining({ mode: 'url', url: 'https://example.test/login', elicitationId: 'e1', message: 'Sign in' }),
    ]);
    const form = await server.sendRequest((id) => elicitationRequest({ id, threadId: 't', message: 'm', requestedSchema: schema }));
    expect(form).toEqual({ id: 1, result: { action: 'decline', content: null, _meta: null } });
    sub.unsubscribe();
  });
});
