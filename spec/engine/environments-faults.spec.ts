/**
 * Review of issue 26 (environments): defects found, each proven here.
 */
import { DEFAULTS } from '../../src/defaults';
import { FakeRpcError } from '../../src/testing/fake-server/types';
import { placedLink } from '../support/placed-link';
import { fakeApp } from '../support/client-fixture';
import { caught } from '../support/fake-app';

const URL = 'ws://127.0.0.1:9';
const TOKEN = 'tok-PLANTED-environment-secret';

it('an environment/add error whose data echoes the token does not carry it', async () => {
  const app = fakeApp({}, { experimentalApi: true });
  app.server.handle('environment/add', () => {
    throw new FakeRpcError(-32600, 'refused', { params: { authBearerToken: TOKEN }, detail: `bad token ${TOKEN}` });
  });
  const err = await caught(app.client.addEnvironment({ id: 'e', url: URL, token: TOKEN }));
  expect(JSON.stringify((err as { data?: unknown }).data)).not.toContain(TOKEN);
});

it('environment connect/disconnect bookkeeping stays bounded however many threads the server names', async () => {
  const app = fakeApp({}, { experimentalApi: true });
  app.server.handle('environment/status', () => ({ status: 'ready' as const }));
  await app.client.environmentStatus('e');
  const n = DEFAULTS.maxKnownThreads + 50;
  for (let i = 0; i < n; i++) {
    app.server.notify('thread/environment/disconnected', { threadId: `t-${i}`, environmentId: 'e' });
  }
  await new Promise((r) => setImmediate(r));
  const connected = (app.client as any).engine.environments.connected as Map<string, boolean>;
  expect(connected.size).toBeGreaterThan(0);
  expect(connected.size).toBeLessThanOrEqual(DEFAULTS.maxKnownThreads);
});

describe('after a relink, two placed threads on one environment', () => {
  const at = [{ environmentId: 'e', cwd: '/w' }];

  it('the environment is added again once, not once per thread (a second add replaces the first one live)', async () => {
    const { transport, client, clock, sent } = placedLink();
    await client.addEnvironment({ id: 'e', url: URL, token: TOKEN });
    const a = await client.startThread({ environments: at });
    const b = await client.startThread({ environments: at });
    transport.drop(false);
    const ta = a.chatOnce('one');
    const tb = b.chatOnce('two');
    await clock.settle();
    transport.restore();
    await clock.settle();
    expect((await ta).finalText).toBe('done');
    expect((await tb).finalText).toBe('done');
    expect(sent(2).filter((f) => f.method === 'environment/add')).toHaveLength(1);
  });

  it('a turn that moved the thread after a relink and was refused leaves the thread to be placed again before the next turn', async () => {
    const { transport, client, clock, sent, refuseNextTurn } = placedLink();
    await client.addEnvironment({ id: 'e', url: URL });
    const a = await client.startThread({ environments: at });
    await a.chatOnce('one');
    transport.drop(false);
    refuseNextTurn();
    const moved = caught(a.chatOnce('two', { turnOverrides: { environments: [{ environmentId: 'e', cwd: '/other' }] } }));
    await clock.settle();
    transport.restore();
    await clock.settle();
    expect((await moved).message).toContain('unknown turn environment id');
    expect(await a.chatOnce('three').then((r) => r.finalText)).toBe('done');
    // The server forgot the placement with the link and took none from the refused turn: it must be put back.
    expect(sent(2).filter((f) => f.method === 'thread/settings/update')).toHaveLength(1);
  });
});

describe('no timer left once the client is closed', () => {
  async function setup(holdStart: boolean) {
    const { VirtualTimeScheduler } = await import('rxjs');
    const { advanceVirtualTime } = await import('../../src/testing');
    const scheduler = new VirtualTimeScheduler();
    const app = fakeApp({ scheduler }, { experimentalApi: true, environmentProbeMs: 1_000, requestTimeoutMs: null as any });
    app.server.handle('environment/add', () => ({}));
    // The status never answers: a probe is under way when the client closes.
    app.server.handle('environment/status', (_p, { wait }) => wait(1e9).then(() => ({ status: 'ready' as const })));
    if (holdStart) app.server.handle('turn/start', (_p, { wait }) => wait(1e9).then(() => undefined));
    else app.server.onNextTurn(() => new Promise(() => undefined));
    await app.client.addEnvironment({ id: 'e', url: URL });
    const t = await app.client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    const turn = caught(t.chatOnce('hi'));
    await advanceVirtualTime(scheduler, 1_500);
    expect(app.server.requestsOf('environment/status').length).toBeGreaterThan(0);
    await app.client.close();
    await turn;
    await advanceVirtualTime(scheduler, 10_000);
    return { scheduler, app };
  }
  it.each([
    ['a turn/start held (guardStart)', true],
    ['a running turn (watchTurn)', false],
  ])('%s', async (_label, hold) => {
    const { scheduler, app } = await setup(hold);
    const before = app.server.requestsOf('environment/status').length;
    const { advanceVirtualTime } = await import('../../src/testing');
    await advanceVirtualTime(scheduler, 10_000);
    expect(app.server.requestsOf('environment/status').length).toBe(before);
    // The fake's own waits (1e9 ms) aside.
    expect(scheduler.actions.filter((a: any) => !a.closed && a.delay < 1e8).length).toBe(0);
  });
});

it('a turn/start answered the moment the probe says disconnected: the thread is free for the next turn soon after', async () => {
  const { VirtualTimeScheduler } = await import('rxjs');
  const { advanceVirtualTime } = await import('../../src/testing');
  const scheduler = new VirtualTimeScheduler();
  const app = fakeApp({ scheduler }, { experimentalApi: true, environmentProbeMs: 1_000 });
  app.server.handle('environment/add', () => ({}));
  let status = 'disconnected';
  app.server.handle('environment/status', () => ({ status: status as 'ready' }));
  let first = true;
  app.server.handle('turn/start', (_p, { wait }) => {
    if (!first) return undefined;
    first = false;
    return wait(1_000).then(() => undefined);
  });
  await app.client.addEnvironment({ id: 'e', url: URL });
  const t = await app.client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
  const one = t.chatOnce('one').then(
    (r) => r.finalText,
    (e: Error) => e.message,
  );
  await advanceVirtualTime(scheduler, 1_000);
  const outcome = await one;
  status = 'ready';
  const two = t.chatOnce('two').then(
    (r) => `ok ${r.finalText}`,
    (e: Error) => `failed ${e.message}`,
  );
  let done: string | null = null;
  void two.then((v) => (done = v));
  await advanceVirtualTime(scheduler, 2_000);
  // The status won the race here: the turn failed fast, the late turn was interrupted, the thread freed.
  expect({ outcome, done }).toEqual({ outcome: expect.stringContaining('is disconnected'), done: 'ok Echo: two' });
  expect(app.server.requestsOf('turn/interrupt')).toHaveLength(1);
});

it('a turn that moves a placed thread off its environments (environments: []) is not failed by that environment being disconnected', async () => {
  const { VirtualTimeScheduler } = await import('rxjs');
  const { advanceVirtualTime } = await import('../../src/testing');
  const scheduler = new VirtualTimeScheduler();
  const app = fakeApp({ scheduler }, { experimentalApi: true, environmentProbeMs: 1_000 });
  app.server.handle('environment/add', () => ({}));
  app.server.handle('environment/status', () => ({ status: 'disconnected' as const }));
  // A busy server: the turn/start (of a turn that runs locally) answered after 1.5 s.
  app.server.handle('turn/start', (_p, { wait }) => wait(1_500).then(() => undefined));
  await app.client.addEnvironment({ id: 'e', url: URL });
  const t = await app.client.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
  const local = t.chatOnce('here', { turnOverrides: { environments: [] } }).then(
    (r) => `ok ${r.finalText}`,
    (e: Error) => `failed ${e.message}`,
  );
  await advanceVirtualTime(scheduler, 2_000);
  expect(await local).toBe('ok Echo: here');
});
