/**
 * Remote environments (experimental) with the FakeAppServer: what the client refuses before
 * sending, what it sends, how it remembers placements and puts them back on a new link, and the
 * fast failure of a placed thread's turn/start that the server holds while an environment recovers
 * (virtual time).
 */
import { VirtualTimeScheduler } from 'rxjs';
import { CodexTransportError } from '../../src/errors';
import type { Diagnostic, TurnEvent } from '../../src/models';
import { advanceVirtualTime } from '../../src/testing';
import { placedLink } from '../support/placed-link';
import { fakeApp } from '../support/client-fixture';
import { caught, collect } from '../support/fake-app';

const URL = 'ws://127.0.0.1:9';
const TOKEN = 'tok-PLANTED-environment-secret';

function placed(options: Parameters<typeof fakeApp>[1] = {}) {
  const app = fakeApp({}, { experimentalApi: true, ...options });
  app.server.handle('environment/add', () => ({}));
  app.server.handle('thread/settings/update', () => ({}));
  return app;
}

describe('validation, before anything is sent', () => {
  it.each([
    ['an id with a space', { id: 'a b', url: URL }, /\[A-Za-z0-9_-\]\{1,64\}/],
    ['a 65-character id', { id: 'x'.repeat(65), url: URL }, /\{1,64\}/],
    ['the reserved id local', { id: 'local', url: URL }, /reserved/],
    ['the reserved id none', { id: 'none', url: URL }, /reserved/],
    ['an http URL', { id: 'e', url: 'http://127.0.0.1:9' }, /ws:\/\/ or wss:\/\//],
    ['no URL at all', { id: 'e', url: 'not a url' }, /ws:\/\/ or wss:\/\//],
    ['an empty token', { id: 'e', url: URL, token: '' }, /token/],
    ['a zero connect timeout', { id: 'e', url: URL, connectTimeoutMs: 0 }, /connectTimeoutMs/],
  ])('addEnvironment refuses %s (TypeError)', async (_label, spec, message) => {
    const { server, client } = placed();
    const err = await caught(client.addEnvironment(spec));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(message);
    expect(server.requestsOf('environment/add')).toHaveLength(0);
  });

  it('a URL with credentials is refused without echoing them', async () => {
    const { client } = placed();
    const err = await caught(client.addEnvironment({ id: 'e', url: `ftp://user:${TOKEN}@h/` }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).not.toContain(TOKEN);
  });

  it('every environment call and placement needs experimentalApi (TypeError naming it)', async () => {
    const { server, client } = fakeApp();
    const calls = [
      client.addEnvironment({ id: 'e', url: URL }),
      client.environmentStatus('e'),
      client.environmentInfo('e'),
      client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] }),
      client.chatOnce('hi', { threadConfig: { environments: [{ environmentId: 'e', cwd: '/w' }] } }),
      client.chatOnce('hi', { turnOverrides: { environments: [{ environmentId: 'e', cwd: '/w' }] } }),
    ];
    for (const call of calls) {
      const err = await caught(call);
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toContain('experimentalApi');
    }
    expect(server.requests.map((r) => r.method).filter((m) => m !== 'initialize')).toEqual([]);
  });

  it('a placement naming a reserved id or lacking a cwd is refused', async () => {
    const { server, client } = placed();
    expect(await caught(client.startThread({ environments: [{ environmentId: 'local', cwd: '/w' }] }))).toBeInstanceOf(TypeError);
    expect(await caught(client.startThread({ environments: [{ environmentId: 'e', cwd: '' }] }))).toBeInstanceOf(TypeError);
    expect(server.requestsOf('thread/start')).toHaveLength(0);
  });
});

describe('what goes out', () => {
  it('addEnvironment sends environment/add; status and info their methods', async () => {
    const { server, client } = placed();
    server.handle('environment/status', () => ({ status: 'ready' as const }));
    server.handle('environment/info', () => ({ shell: { name: 'bash', path: '/bin/bash' }, cwd: 'file:///w' }));
    await client.addEnvironment({ id: 'e-1', url: URL, token: TOKEN, connectTimeoutMs: 500 });
    expect(server.requestsOf('environment/add')[0].params).toEqual({
      environmentId: 'e-1',
      execServerUrl: URL,
      authBearerToken: TOKEN,
      connectTimeoutMs: 500,
    });
    expect(await client.environmentStatus('e-1')).toEqual({ status: 'ready' });
    expect((await client.environmentInfo('e-1')).cwd).toBe('file:///w');
  });

  it('a thread placed at start carries environments on thread/start; a turn override on turn/start', async () => {
    const { server, client } = placed();
    const at = [{ environmentId: 'e', cwd: '/w' }];
    const t = await client.startThread({ environments: at });
    expect((server.requestsOf('thread/start')[0].params as any).environments).toEqual(at);
    await t.chatOnce('hi', { turnOverrides: { environments: [] } });
    expect((server.requestsOf('turn/start')[0].params as any).environments).toEqual([]);
  });

  it('an error of environment/add does not carry the token', async () => {
    const { server, client } = placed();
    server.handle('environment/add', () => {
      throw new Error(`refused token ${TOKEN}`);
    });
    const err = await caught(client.addEnvironment({ id: 'e', url: URL, token: TOKEN }));
    expect(String(err.message)).not.toContain(TOKEN);
  });
});

describe('placement that survives a new link', () => {
  const at = [{ environmentId: 'e', cwd: '/w' }];

  it('after a restart the environment is added again (token and all) and the thread placed again before its next turn, once', async () => {
    const { transport, client, clock, sent } = placedLink();
    const T = 'thr-1';
    await client.addEnvironment({ id: 'e', url: URL, token: TOKEN });
    const t = await client.startThread({ environments: at });
    await t.chatOnce('one');
    transport.drop(false);
    const next = t.chatOnce('two');
    await clock.settle();
    transport.restore();
    await clock.settle();
    expect((await next).finalText).toBe('done');
    const link2 = sent(2);
    expect(link2.map((f) => f.method)).toEqual([
      'initialize',
      'initialized',
      'thread/resume',
      'environment/status',
      'environment/add',
      'thread/settings/update',
      'turn/start',
    ]);
    expect(link2.find((f) => f.method === 'environment/add')!.params).toMatchObject({ environmentId: 'e', authBearerToken: TOKEN });
    expect(link2.find((f) => f.method === 'thread/settings/update')!.params).toEqual({ threadId: T, environments: at });
    await t.chatOnce('three');
    expect(sent(2).filter((f) => f.method === 'thread/settings/update')).toHaveLength(1);
  });

  it('an environment added before a restart is added again before a new thread is placed on it, or a turn moved to it', async () => {
    const { transport, client, clock, sent } = placedLink();
    await client.addEnvironment({ id: 'e', url: URL, token: TOKEN });
    await client.addEnvironment({ id: 'f', url: URL });
    transport.drop(false);
    const started = client.startThread({ environments: at });
    await clock.settle();
    transport.restore();
    await clock.settle();
    const t = await started;
    expect(sent(2).map((f) => f.method)).toEqual(['initialize', 'initialized', 'environment/status', 'environment/add', 'thread/start']);
    await t.chatOnce('moved', { turnOverrides: { environments: [{ environmentId: 'f', cwd: '/f' }] } });
    expect(
      sent(2)
        .map((f) => f.method)
        .slice(5),
    ).toEqual(['environment/status', 'environment/add', 'turn/start']);
  });

  it('an environment added by a raw request is remembered too: added again (its token too) after a restart', async () => {
    const { transport, client, clock, sent } = placedLink();
    await client.request('environment/add', { environmentId: 'e', execServerUrl: URL, authBearerToken: TOKEN });
    transport.drop(false);
    const started = client.startThread({ environments: at });
    await clock.settle();
    transport.restore();
    await clock.settle();
    await started;
    expect(sent(2).map((f) => f.method)).toEqual(['initialize', 'initialized', 'environment/status', 'environment/add', 'thread/start']);
    expect(sent(2).find((f) => f.method === 'environment/add')!.params).toMatchObject({ environmentId: 'e', authBearerToken: TOKEN });
  });

  it('an environment the server still knows (it outlived the link) is not replaced; the thread is placed again all the same', async () => {
    const { transport, client, clock, sent } = placedLink(() => 'ready');
    await client.addEnvironment({ id: 'e', url: URL });
    const t = await client.startThread({ environments: at });
    transport.drop(true);
    const next = t.chatOnce('two');
    await clock.settle();
    transport.restore();
    await clock.settle();
    await next;
    expect(sent(2).map((f) => f.method)).not.toContain('environment/add');
    expect(sent(2).map((f) => f.method)).toContain('thread/settings/update');
  });
});

describe('faults', () => {
  it("a placed thread's turn/start held by the server fails with environment-disconnected once the status says so", async () => {
    const scheduler = new VirtualTimeScheduler();
    const app = fakeApp({ scheduler }, { experimentalApi: true, environmentProbeMs: 1_000 });
    const { server, client } = app;
    server.handle('environment/add', () => ({}));
    let status = 'ready';
    server.handle('environment/status', () => ({ status: status as 'ready', error: 'exec-server environment is recovering' }));
    // The server holds turn/start while the environment recovers (about 45 s on 0.171.0).
    server.handle('turn/start', (_p, { wait }) => wait(60_000).then(() => undefined));
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    await client.addEnvironment({ id: 'e', url: URL, token: TOKEN });
    const t = await client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    const turn = caught(t.chatOnce('hi'));
    await advanceVirtualTime(scheduler, 1_000);
    // Ready: it goes on waiting.
    expect(server.requestsOf('environment/status')).toHaveLength(1);
    status = 'disconnected';
    await advanceVirtualTime(scheduler, 1_000);
    const err = await turn;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'environment-disconnected', environmentId: 'e' });
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'environment', detail: { type: 'disconnected', threadId: t.threadId, environmentId: 'e' } }),
    ]);
    expect(JSON.stringify(diagnostics) + err.message).not.toContain(TOKEN);
  });

  it('a turn that moved its thread and failed fast, then ran after all: the placement it set is the one kept', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { server, client } = fakeApp({ scheduler }, { experimentalApi: true, environmentProbeMs: 1_000 });
    server.handle('environment/add', () => ({}));
    const down = new Set(['f']);
    server.handle('environment/status', (p) => ({ status: down.has(p.environmentId) ? ('disconnected' as const) : ('ready' as const) }));
    let starts = 0;
    // The first turn/start (the move to f) is held 5 s, the next 2 s; then each runs.
    server.handle('turn/start', (_p, { wait }) => wait(++starts === 1 ? 5_000 : 2_000).then(() => undefined));
    await client.addEnvironment({ id: 'e', url: URL });
    await client.addEnvironment({ id: 'f', url: URL });
    const t = await client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    const moved = caught(t.chatOnce('move', { turnOverrides: { environments: [{ environmentId: 'f', cwd: '/f' }] } }));
    await advanceVirtualTime(scheduler, 1_000);
    expect(await moved).toMatchObject({ code: 'environment-disconnected', environmentId: 'f' });
    down.clear();
    // The server answers the held move at 5 s: the turn ran, so the thread is on f now.
    const next = t.chatOnce('next');
    await advanceVirtualTime(scheduler, 10_000);
    await next;
    const probed = server.requestsOf('environment/status').map((r) => r.params.environmentId);
    expect(probed.at(-1)).toBe('f');
  });

  it('a thread/environment/disconnected notification: a TurnEvent of the running turn, an environment event, a diagnostic', async () => {
    const { server, client } = placed();
    const t = await client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    server.onNextTurn(async (turn) => {
      await turn.wait(1);
      // The server's notification names the thread only: the client gives it to the thread's running turn.
      server.notify('thread/environment/disconnected', { threadId: t.threadId, environmentId: 'e' });
      turn.message('ok');
    });
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    const envEvents = collect(client.environmentEvents$);
    const events: TurnEvent[] = await collect(t.chatEvents('hi'));
    const env = events.find((e) => e.type === 'environment');
    expect(env).toMatchObject({ type: 'environment', threadId: t.threadId, environmentId: 'e', connected: false });
    expect(diagnostics.filter((d) => d.kind === 'environment')).toHaveLength(1);
    await client.close();
    expect(await envEvents).toEqual([{ type: 'disconnected', threadId: t.threadId, environmentId: 'e' }]);
  });
});
