/**
 * The relay's default method policy as a pure function: what it allows, refuses and pins, frame by
 * frame. (relay-policy.spec.ts runs the same attacks through a relay to the real app-server.)
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { RELAY_METHOD_RULES } from '../../src/relay/method-rules';
import { relayPolicy, type RelayConnection, type RelayDecision, type RelayFrame } from '../../src/relay/policy';

const who: RelayConnection = { id: 1, identity: { user: 'ann' }, request: {} as http.IncomingMessage, origin: null };
const request = (method: string, params?: unknown): RelayFrame => ({ kind: 'request', method, id: 1, params });
const refused = (d: RelayDecision) => (d.action === 'refuse' ? d.reason : null);

describe('relayPolicy (the default)', () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'relay-root-')));
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'relay-outside-')));
    fs.mkdirSync(path.join(root, 'sub'));
    fs.symlinkSync(outside, path.join(root, 'escape'));
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses every host-level method, and methods the pinned protocol does not have', () => {
    const policy = relayPolicy();
    for (const method of [
      'command/exec',
      'command/exec/write',
      'fs/readFile',
      'fs/writeFile',
      'fs/remove',
      'config/value/write',
      'config/batchWrite',
      'config/read',
      'account/read',
      'account/logout',
      'plugin/install',
      'mcpServer/tool/call',
      'config/mcpServer/reload',
      'thread/shellCommand',
      'getAuthStatus',
      'feedback/upload',
    ]) {
      expect(refused(policy(request(method, {}), who))).toMatch(/acts on the relay's host/);
    }
    expect(refused(policy(request('exec/unknownMethod', { environmentId: 'x' }), who))).toMatch(/not a method of the pinned protocol/);
    // The experimental environments API: a browser must not point the host at an exec-server.
    for (const method of ['environment/add', 'environment/status', 'environment/info', 'thread/settings/update']) {
      expect(refused(policy(request(method, { environmentId: 'x', execServerUrl: 'ws://evil:1' }), who))).toMatch(
        /acts on the relay's host/,
      );
    }
  });

  it('has decided every method of the pinned protocol, and allows the thread-level ones', () => {
    const policy = relayPolicy();
    const rules = Object.entries(RELAY_METHOD_RULES);
    expect(rules.length).toBeGreaterThan(100);
    for (const [method, rule] of rules) {
      if (rule === 'allow') expect(policy(request(method, { threadId: 't' }), who)).toEqual({ action: 'allow' });
    }
    expect(policy({ kind: 'response', method: null, id: 0, params: undefined }, who)).toEqual({ action: 'allow' });
    expect(policy({ kind: 'notification', method: 'initialized', id: null, params: undefined }, who)).toEqual({ action: 'allow' });
    expect(refused(policy({ kind: 'notification', method: 'anything/else', id: null, params: {} }, who))).toMatch(/not allowed/);
  });

  it('pins sandbox, approval policy and cwd on thread/start, and refuses a browser that chooses otherwise', () => {
    const policy = relayPolicy({ roots: [root] });
    expect(policy(request('thread/start', { model: 'm' }), who)).toEqual({
      action: 'rewrite',
      params: { model: 'm', sandbox: 'read-only', approvalPolicy: 'never', cwd: root },
    });
    expect(refused(policy(request('thread/start', { cwd: '/' }), who))).toMatch(/cwd is outside/);
    expect(refused(policy(request('thread/start', { cwd: 'relative' }), who))).toMatch(/absolute path/);
    expect(refused(policy(request('thread/start', { cwd: path.join(root, 'escape') }), who))).toMatch(/cwd is outside/);
    expect(refused(policy(request('thread/start', { cwd: path.join(root, '..') }), who))).toMatch(/cwd is outside/);
    expect(policy(request('thread/start', { cwd: path.join(root, 'sub') }), who)).toMatchObject({
      params: { cwd: path.join(root, 'sub') },
    });
    expect(refused(policy(request('thread/start', { sandbox: 'danger-full-access' }), who))).toMatch(/sandbox 'danger-full-access'/);
    expect(refused(policy(request('thread/start', { approvalPolicy: 'on-request' }), who))).toMatch(/approvalPolicy 'on-request'/);
    expect(refused(policy(request('thread/start', { approvalPolicy: { granular: {} } }), who))).toMatch(/approvalPolicy 'granular'/);
    expect(refused(policy(request('thread/resume', { threadId: 't', config: { sandbox_mode: 'danger-full-access' } }), who))).toMatch(
      /config overrides/,
    );
    // resume keeps the thread's own cwd; sandbox and approvals are pinned there too
    expect(policy(request('thread/resume', { threadId: 't' }), who)).toEqual({
      action: 'rewrite',
      params: { threadId: 't', sandbox: 'read-only', approvalPolicy: 'never' },
    });
  });

  it('holds turn/start and turn/steer to the same bounds, input paths included', () => {
    const policy = relayPolicy({ roots: [root] });
    const text = [{ type: 'text', text: 'hi', text_elements: [] }];
    expect(policy(request('turn/start', { threadId: 't', input: text }), who)).toEqual({ action: 'allow' });
    expect(
      refused(policy(request('turn/start', { threadId: 't', input: text, sandboxPolicy: { type: 'dangerFullAccess' } }), who)),
    ).toMatch(/sandboxPolicy 'dangerFullAccess'/);
    const write = { type: 'workspaceWrite', writableRoots: ['/'], networkAccess: false };
    const widened = relayPolicy({ roots: [root], sandbox: ['read-only', 'workspace-write'] });
    expect(refused(widened(request('turn/start', { threadId: 't', input: text, sandboxPolicy: write }), who))).toMatch(
      /writableRoots is outside/,
    );
    const inside = { ...write, writableRoots: [path.join(root, 'sub')] };
    expect(widened(request('turn/start', { threadId: 't', input: text, sandboxPolicy: inside }), who)).toEqual({ action: 'allow' });
    expect(
      refused(widened(request('turn/start', { threadId: 't', input: text, sandboxPolicy: { ...inside, networkAccess: true } }), who)),
    ).toMatch(/network access/);
    const image = [{ type: 'localImage', path: '/etc/passwd' }];
    expect(refused(policy(request('turn/start', { threadId: 't', input: image }), who))).toMatch(/input localImage path is outside/);
    expect(refused(policy(request('turn/steer', { threadId: 't', expectedTurnId: 'u', input: image }), who))).toMatch(/outside/);
    const app = [{ type: 'mention', name: 'x', path: 'app://connector' }];
    expect(policy(request('turn/start', { threadId: 't', input: app }), who)).toEqual({ action: 'allow' });
    expect(refused(policy(request('fuzzyFileSearch', { query: 'x', roots: ['/'], cancellationToken: null }), who))).toMatch(
      /roots is outside/,
    );
    expect(policy(request('fuzzyFileSearch', { query: 'x', roots: [root], cancellationToken: null }), who)).toEqual({ action: 'allow' });
  });

  it('with no roots, a browser may name no host path at all', () => {
    const policy = relayPolicy();
    expect(policy(request('thread/start', {}), who)).toEqual({
      action: 'rewrite',
      params: { sandbox: 'read-only', approvalPolicy: 'never' },
    });
    expect(refused(policy(request('thread/start', { cwd: os.tmpdir() }), who))).toMatch(/outside the relay's roots/);
  });

  it('is widened deliberately: methods, approvals, the experimental API, per-connection roots', () => {
    const init = request('initialize', { clientInfo: { name: 'x', version: '1' }, capabilities: { experimentalApi: true } });
    expect(refused(relayPolicy()(init, who))).toMatch(/experimental API/);
    expect(relayPolicy({ experimentalApi: true })(init, who)).toEqual({ action: 'allow' });
    const wide = relayPolicy({
      allowMethods: ['config/read'],
      approvalPolicies: ['on-request', 'never'],
      roots: (c) => [path.join(root, c.identity.user)],
    });
    expect(wide(request('config/read', {}), who)).toEqual({ action: 'allow' });
    expect(wide(request('thread/start', { approvalPolicy: 'never' }), who)).toMatchObject({
      params: { approvalPolicy: 'never', cwd: path.join(root, 'ann') },
    });
    expect(wide(request('thread/start', {}), who)).toMatchObject({ params: { approvalPolicy: 'on-request' } });
    // allowMethods does not lift the checks of the thread methods
    expect(refused(relayPolicy({ allowMethods: ['thread/start'] })(request('thread/start', { cwd: '/' }), who))).toMatch(/outside/);
    expect(() => relayPolicy({ sandbox: [] })).toThrow(TypeError);
  });
});
