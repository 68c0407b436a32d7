/**
 * Review of issue 26 (pool): defects found, each proven here.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { CodexTransportError } from '../../src/errors';
import { CodexPool } from '../../src/pool/pool';
import { FakeAppServer, advanceVirtualTime } from '../../src/testing';
import { caught } from '../support/fake-app';

it("a placed thread's fast environment failure behind a pool still names its environment", async () => {
  const scheduler = new VirtualTimeScheduler();
  const servers = [0, 1].map((i) => new FakeAppServer({ scheduler, threadId: (k) => `s${i}-thr-${k}` }));
  for (const s of servers) {
    s.handle('environment/add', () => ({}));
    s.handle('environment/status', () => ({ status: 'disconnected' as const }));
    s.handle('turn/start', (_p, { wait }) => wait(60_000).then(() => undefined));
  }
  const pool = new CodexPool({
    members: servers.map((s, i) => ({
      id: `m${i}`,
      client: () => s.client({ requestTimeoutMs: 100_000, experimentalApi: true, environmentProbeMs: 1_000 }),
    })),
  });
  try {
    await pool.addEnvironment({ id: 'e', url: 'ws://127.0.0.1:9' });
    const t = await pool.startThread({ environments: [{ environmentId: 'e', cwd: '/w' }] });
    const turn = caught(t.chatOnce('hi'));
    await advanceVirtualTime(scheduler, 1_000);
    const err = await turn;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'environment-disconnected', environmentId: 'e' });
  } finally {
    await advanceVirtualTime(scheduler, 60_000);
    await pool.close();
  }
});
