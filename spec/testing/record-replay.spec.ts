/**
 * Record and replay without a real server: a FakeAppServer session recorded, then replayed through
 * a new client. What is matched (method and rank), what is remapped (ids), what is gated (server
 * frames wait for what the client sent before them), what is scrubbed (secrets).
 */
import { lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CodexClient } from '../../src/client';
import { toSteps } from '../../src/operators';
import { FakeAppServer } from '../../src/testing/fake-server';
import { startRecording, type Recording } from '../../src/testing/recording';
import { replayFrames } from '../../src/testing/replay-frames';
import { ReplayTransport } from '../../src/testing/replay-transport';
import { UNRECORDED_REQUEST_CODE } from '../../src/testing/replay-errors';
import { scrubSecrets } from '../../src/streams/scrub-secrets';

async function recordSession(): Promise<Recording> {
  const server = new FakeAppServer({
    script: async (turn) => {
      const decision = await turn.approval({ command: 'make', reason: 'build it' });
      turn.message(`You said ${decision}`, { deltas: ['You said ', String(decision)] });
    },
  });
  const client = server.client();
  let t = 0;
  const recorder = startRecording(client, { now: () => (t += 10) });
  client.setApprovalHandler(() => 'accept');
  await client.chatOnce('Build');
  await client.readThread('thr-1');
  await client.close();
  return recorder.stop();
}

/** Lets every microtask and a few macrotask turns run (the replay delivers a microtask later). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const methodOf = (f: { frame: unknown }) => (f.frame as { method?: string }).method;

describe('startRecording', () => {
  it('keeps every frame in and out, in order, with its time and the server version', async () => {
    const rec = await recordSession();
    expect(rec.format).toBe('codex-rx-recording/1');
    expect(rec.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(rec.frames.slice(0, 3).map((f) => [f.dir, methodOf(f) ?? 'answer'])).toEqual([
      ['out', 'initialize'],
      ['in', 'answer'],
      ['out', 'initialized'],
    ]);
    const times = rec.frames.map((f) => f.atMs);
    expect(times[0]).toBe(10);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const approval = rec.frames.findIndex((f) => methodOf(f) === 'item/commandExecution/requestApproval');
    expect(rec.frames[approval + 1]).toMatchObject({ dir: 'out', frame: { result: { decision: 'accept' } } });
    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(rec))).toEqual(rec);
  });

  it('stop() is idempotent and records nothing after it', async () => {
    const server = new FakeAppServer();
    const client = server.client();
    const recorder = startRecording(client);
    await client.initialize();
    const first = recorder.stop();
    await client.listModels().catch(() => undefined);
    expect(recorder.stop()).toBe(first);
    expect(first.frames.map(methodOf)).not.toContain('model/list');
    await client.close();
  });

  it('scrubs secrets: token and key fields, Authorization, bearer strings, URL credentials', async () => {
    const server = new FakeAppServer();
    server.handle('config/value/write', () => ({ status: 'ok' as const, echo: 'Bearer abc.def.ghi' }) as never);
    const client = server.client();
    const recorder = startRecording(client);
    await client.request(
      'config/value/write' as never,
      {
        keyPath: 'mcp_servers.x',
        value: {
          url: 'https://alice:hunter2@example.com/mcp',
          http_headers: { Authorization: 'Bearer s3cr3t' },
          bearer_token: 'plain-secret',
          env: { OPENAI_API_KEY: 'sk-abcdefghijklmnop' },
          sessionId: 'kept',
          tokenUsage: { total: 3 },
        },
      } as never,
    );
    await client.close();
    const text = JSON.stringify(recorder.stop());
    for (const secret of ['hunter2', 'alice', 's3cr3t', 'plain-secret', 'sk-abcdefghijklmnop', 'abc.def.ghi'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"keyPath":"mcp_servers.x"');
    expect(text).toContain('"sessionId":"kept"');
    expect(text).toContain('"tokenUsage":{"total":3}');
    expect(text).toContain('example.com/mcp');
  });
});

describe('scrubSecrets', () => {
  it('copies, leaving the input alone', () => {
    const input = { a: { apiKey: 'x', n: 1, list: ['Basic dXNlcjpwdw=='] } };
    expect(scrubSecrets(input)).toEqual({ a: { apiKey: '***', n: 1, list: ['Basic ***'] } });
    expect(input.a.apiKey).toBe('x');
  });
});

describe('ReplayTransport', () => {
  it('replays a session through a new client, ids remapped, the approval asked again', async () => {
    const rec = await recordSession();
    const transport = new ReplayTransport(rec);
    const client = new CodexClient(transport);
    const asked: string[] = [];
    client.setApprovalHandler((r) => {
      asked.push(r.reason ?? '');
      return 'accept';
    });
    try {
      await client.initialize();
      // An unrecorded request first shifts this client's ids away from the recorded ones.
      const err = await client.listModels().catch((e: Error) => e);
      expect((err as Error).message).toContain("the recording holds no 'model/list' request");
      expect((err as { code?: number }).code).toBe(UNRECORDED_REQUEST_CODE);
      const result = await client.chatOnce('Build');
      expect(result.finalText).toBe('You said accept');
      expect(asked).toEqual(['build it']);
      const read = (await client.readThread('thr-1')) as { thread: { id: string } };
      expect(read.thread.id).toBe('thr-1');
      const turnStart = transport.sent.find((f) => (f as { method?: string }).method === 'turn/start') as { id: number };
      const recordedTurnStart = rec.frames.find((f) => methodOf(f) === 'turn/start')!.frame as { id: number };
      expect(turnStart.id).not.toBe(recordedTurnStart.id);
      await settle();
      expect(transport.finished).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('a second request of a method recorded once fails, saying all were answered', async () => {
    const rec = await recordSession();
    const client = new CodexClient(new ReplayTransport(rec));
    try {
      // The recorded thread/read came after a turn this client skips: its answer overtakes.
      await expect(client.readThread('thr-1')).resolves.toMatchObject({ thread: { id: 'thr-1' } });
      await expect(client.readThread('thr-1')).rejects.toThrow("the recording holds 1 'thread/read' request, all answered already");
    } finally {
      await client.close();
    }
  });

  it('holds the server frames after an approval until the new client has answered it', async () => {
    const rec = await recordSession();
    const transport = new ReplayTransport(rec);
    const client = new CodexClient(transport);
    let release: (d: 'accept') => void = () => undefined;
    client.setApprovalHandler(() => new Promise<'accept'>((resolve) => (release = resolve)));
    const deltas: string[] = [];
    const turn = lastValueFrom(
      client.chatEvents('Build').pipe(
        map((e) => (e.type === 'delta' ? deltas.push(e.delta) : e)),
        toArray(),
      ),
    );
    turn.catch(() => undefined);
    try {
      await settle();
      expect(deltas).toEqual([]);
      expect(transport.remaining.awaiting[0]).toEqual({ id: 0, result: { decision: 'accept' } });
      release('accept');
      await turn;
      expect(deltas.join('')).toBe('You said accept');
    } finally {
      await client.close();
    }
  });

  it('close() stops the replay; start() after it rejects', async () => {
    const rec = await recordSession();
    const transport = new ReplayTransport(rec);
    await transport.start();
    await transport.close();
    await expect(transport.start()).rejects.toThrow('replay transport is closed');
    expect(() => transport.send('{"id":1,"method":"initialize"}')).toThrow('closed');
  });
});

describe('replayFrames', () => {
  it('plays the recorded server frames at their times, in virtual time (marbles)', async () => {
    const rec = await recordSession();
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ expectObservable }) => {
      const steps = replayFrames(rec).pipe(
        toSteps(),
        map((s) => `${s.stepType}:${s.text ?? ''}`),
      );
      const [user, answer] = rec.frames.filter((f) => f.dir === 'in' && methodOf(f) === 'item/completed').map((f) => f.atMs);
      const end = rec.frames.filter((f) => f.dir === 'in').at(-1)!.atMs;
      expectObservable(steps).toBe(`${user}ms a ${answer! - user! - 1}ms b ${end - answer! - 1}ms |`, {
        a: 'userMessage:',
        b: 'codex:You said accept',
      });
    });
  });
});
