/**
 * End-to-end: a turn with an approval, recorded against the REAL `codex app-server` (offline, with
 * the scripted model), then replayed offline through a new client on a `ReplayTransport`: the same
 * steps, the same approval, the same final text, and no server anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { ApprovalRequest, ChatResult, TurnEvent } from '../../src/models';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { startRecording, type Recording } from '../../src/testing/recording';
import { ReplayTransport } from '../../src/testing/replay-transport';
import { advanceVirtualTime } from '../../src/testing/virtual-time';

jest.setTimeout(30000);

const TEXT = 'RUN echo recorded > replay.txt && echo wrote';

/** What a turn looked like to its caller: the steps in order, the approvals asked, the final text. */
function summary(events: TurnEvent[]) {
  const steps = events.flatMap((e) =>
    e.type === 'step' ? [[e.step.stepType, e.step.itemId, e.step.text, e.step.data.status ?? null]] : [],
  );
  const approvals = events.flatMap((e) => (e.type === 'approval' ? [[e.request.kind, e.request.itemId, e.request.reason]] : []));
  const done = events.find((e): e is Extract<TurnEvent, { type: 'completed' }> => e.type === 'completed');
  return { steps, approvals, finalText: done?.result.finalText ?? null, turnId: done?.turnId };
}

describe('record a real session, replay it offline', () => {
  let off: OfflineCodex;
  let recording: Recording;
  let recorded: ReturnType<typeof summary>;
  let askedLive: ApprovalRequest[];

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
    const client = off.client();
    const recorder = startRecording(client);
    askedLive = [];
    client.setApprovalHandler((req) => {
      askedLive.push(req);
      return 'accept';
    });
    const events = await lastValueFrom(client.chatEvents(TEXT, { threadConfig: { cwd: off.workspace } }).pipe(toArray()));
    recorded = summary(events);
    await client.close();
    // Through a file's worth of JSON: a recording is plain data.
    recording = JSON.parse(JSON.stringify(recorder.stop())) as Recording;
  });

  afterAll(async () => {
    await off?.dispose();
  });

  it('records the handshake, the server version and the approval round trip', () => {
    expect(fs.readFileSync(path.join(off.workspace, 'replay.txt'), 'utf8')).toBe('recorded\n');
    expect(recording.serverVersion).toBe(off.serverVersion);
    const methods = recording.frames.map((f) => `${f.dir} ${(f.frame as { method?: string }).method ?? 'answer'}`);
    // The server's unsolicited notices (configWarning, ...) may come before `initialized` goes out.
    expect(methods.slice(0, 2)).toEqual(['out initialize', 'in answer']);
    expect(methods.filter((m) => m.startsWith('out ')).slice(0, 2)).toEqual(['out initialize', 'out initialized']);
    expect(methods).toContain('in item/commandExecution/requestApproval');
    const approval = recording.frames.find((f) => (f.frame as { method?: string }).method === 'item/commandExecution/requestApproval')!;
    const answer = recording.frames.find((f) => f.dir === 'out' && (f.frame as { id?: unknown; method?: string }).method === undefined);
    expect(answer?.frame).toEqual({ id: (approval.frame as { id: unknown }).id, result: { decision: 'accept' } });
    // Times are non-decreasing offsets from the start.
    const times = recording.frames.map((f) => f.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(recorded.finalText).toBe('Command finished: wrote');
    expect(recorded.approvals).toHaveLength(1);
  });

  it('a new client replays it offline: the same steps, approval and final text', async () => {
    const transport = new ReplayTransport(recording);
    const client = new CodexClient(transport);
    const asked: ApprovalRequest[] = [];
    client.setApprovalHandler((req) => {
      asked.push(req);
      return 'accept';
    });
    try {
      // An unrecorded request first: it fails, and shifts this client's ids from the recorded ones.
      await client.initialize();
      await expect(client.listModels()).rejects.toThrow("the recording holds no 'model/list' request");
      const events = await lastValueFrom(client.chatEvents(TEXT, { threadConfig: { cwd: '/elsewhere' } }).pipe(toArray()));
      expect(summary(events)).toEqual(recorded);
      expect(asked.map((r) => [r.kind, r.itemId, r.reason])).toEqual(askedLive.map((r) => [r.kind, r.itemId, r.reason]));
      expect(client.serverVersion).toBe(off.serverVersion);
      expect(transport.finished).toBe(true);
      expect(transport.remaining).toEqual({ awaiting: [], unplayed: 0 });
    } finally {
      await client.close();
    }
  });

  it('a request the recording does not hold fails, naming it', async () => {
    const transport = new ReplayTransport(recording);
    const client = new CodexClient(transport);
    const diagnostics: string[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d.message));
    try {
      const err = await client.listModels().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CodexProtocolError);
      expect((err as Error).message).toContain("the recording holds no 'model/list' request");
      expect(diagnostics.some((m) => m.includes("'model/list'"))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('replays in virtual time, keeping the recorded gaps', async () => {
    const scheduler = new VirtualTimeScheduler();
    const client = new CodexClient(new ReplayTransport(recording, { timing: 'recorded', scheduler }), { scheduler });
    client.setApprovalHandler(() => 'accept');
    let result: ChatResult | null = null;
    const turn = client.chatOnce(TEXT).then((r) => (result = r));
    try {
      const total = recording.frames[recording.frames.length - 1]!.atMs;
      // Each frame comes only when its recorded gap has passed on the scheduler.
      await advanceVirtualTime(scheduler, 0);
      expect(result).toBeNull();
      await advanceVirtualTime(scheduler, total + 1);
      await turn;
      expect(result!.finalText).toBe(recorded.finalText);
    } finally {
      await client.close();
    }
  });
});
