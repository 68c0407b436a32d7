/**
 * Fault injection: the server process dies mid-turn. The fake app-server exits with code 3; the
 * REAL codex app-server is killed with SIGKILL while a turn waits on a model that never answers.
 */
import { filter, firstValueFrom } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';
import { StdioTransport } from '../../src/streams/stdio';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { isAlive } from '../support/process-helpers';
import { ZERO_STATS } from '../support/stats';
import { FAKE_SERVER } from '../support/fake-process';

const WATCHED = ['ProcessWrap', 'PipeWrap', 'Timeout'];

/** Counts of the resource types that would keep the process alive after a leak. */
function resources(types = WATCHED): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(types.map((t) => [t, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in out) out[r]!++;
  return out;
}
/**
 * Node closes a dead child's process and stdin handles a moment after 'close'; waits (up to 2 s)
 * until the counts are back to `before`, and returns the last counts.
 */
async function resourcesBackTo(before: Record<string, number>): Promise<Record<string, number>> {
  const types = Object.keys(before);
  let now = resources(types);
  for (let i = 0; i < 100 && types.some((t) => now[t]! > before[t]!); i++) {
    await new Promise((r) => setTimeout(r, 20));
    now = resources(types);
  }
  return now;
}
const ZERO = ZERO_STATS;

describe('the fake server exits with code 3 mid-turn', () => {
  it('fails the pending request and the active turn with CodexTransportError naming exit code 3', async () => {
    const before = resources();
    const transport = new StdioTransport({ command: [process.execPath, FAKE_SERVER] });
    const client = new CodexClient(transport);
    await client.initialize();
    const pid = transport.pid!;
    const started = firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
    const pending = client.request('fake/silent').then(
      () => null,
      (e: unknown) => ({ e, at: Date.now() }),
    );
    const turn = client.chatOnce('EXIT 3').then(
      () => null,
      (e: unknown) => ({ e, at: Date.now() }),
    );
    await started;
    const seenAt = Date.now();
    const [req, trn] = await Promise.all([pending, turn]);

    for (const failure of [req, trn]) {
      expect(failure).not.toBeNull();
      expect(failure!.e).toBeInstanceOf(CodexTransportError);
      expect((failure!.e as CodexTransportError).exitCode).toBe(3);
      expect((failure!.e as Error).message).toContain('exit code 3');
      // the fake exits 50 ms after turn/started; both must fail within a second of that
      expect(failure!.at - seenAt).toBeLessThan(1_000);
    }
    expect((req!.e as Error).message).toContain('fake/silent');
    expect(client.stats).toEqual(ZERO);

    await expect(client.close()).resolves.toBeUndefined();
    await expect(client.close()).resolves.toBeUndefined();
    expect(isAlive(pid)).toBe(false);
    const after = await resourcesBackTo(before);
    for (const t of WATCHED) expect(after[t]).toBeLessThanOrEqual(before[t]!);
    // and a closed client stays closed
    await expect(client.start()).rejects.toBeInstanceOf(CodexTransportError);
  });
});

describe('the real codex app-server is killed with SIGKILL mid-turn', () => {
  let off: OfflineCodex;
  beforeAll(async () => {
    off = await startOfflineCodex();
  });
  afterAll(async () => {
    await off?.dispose();
  });

  it('fails the waiting chatOnce with CodexTransportError naming SIGKILL; close() resolves; no process left', async () => {
    const before = resources(['ProcessWrap', 'PipeWrap']);
    const transport = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
    const client = new CodexClient(transport, { requestTimeoutMs: 30_000 });
    try {
      const thread = await client.startThread({ cwd: off.workspace });
      const started = firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
      const turn = thread.chatOnce('HANG').then(
        () => null,
        (e: unknown) => ({ e, at: Date.now() }),
      );
      await started;
      const pid = transport.pid!;
      expect(isAlive(pid)).toBe(true);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const failure = await turn;

      expect(failure).not.toBeNull();
      expect(failure!.e).toBeInstanceOf(CodexTransportError);
      expect((failure!.e as CodexTransportError).signal).toBe('SIGKILL');
      expect((failure!.e as Error).message).toContain('SIGKILL');
      expect(failure!.at - killedAt).toBeLessThan(1_000);
      expect(client.stats).toEqual(ZERO);
      // a request after the death fails at once, with the same reason
      const late = await client.listModels().catch((e: unknown) => e);
      expect(late).toBeInstanceOf(CodexTransportError);
      expect((late as Error).message).toContain('SIGKILL');

      await expect(client.close()).resolves.toBeUndefined();
      expect(isAlive(pid)).toBe(false);
      const after = await resourcesBackTo(before);
      expect(after.ProcessWrap).toBeLessThanOrEqual(before.ProcessWrap!);
      expect(after.PipeWrap).toBeLessThanOrEqual(before.PipeWrap!);
    } finally {
      await client.close();
    }
  });
});
