/**
 * End-to-end: approvals through CodexClient against the REAL `codex app-server` (the pinned version, or the one `npm run test:latest` installs), with
 * `approval_policy = "on-request"` and the scripted model: `RUN <cmd>` asks to run an escalated
 * command, `PATCH <path> <content>` asks to add a file (see src/testing/scripted-model.ts).
 *
 * Each test writes its own file in the workspace, so a command that ran is seen on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filter, firstValueFrom, lastValueFrom, Subscription, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { ApprovalRequest, ChatResult, CommandApprovalRequest, ConversationStep, Diagnostic, TurnEvent } from '../../src/models';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { skipScheduler } from '../support/skip-scheduler';

jest.setTimeout(30000);

// Without shell snapshots a new thread does not first run a login shell (much faster here).
const FEATURES = { shell_snapshot: false };

/** The item/completed payloads of a result, by item type. */
function items(r: ChatResult, type: string): Array<Record<string, any>> {
  return r.rawEvents
    .filter((e) => e.method === 'item/completed' && (e.params as any)?.item?.type === type)
    .map((e) => (e.params as any).item);
}

/** Texts of the developer messages the model was sent (codex's notes to the model). */
function developerNotes(off: OfflineCodex): string[] {
  return off.model.requests.flatMap((q) =>
    (q.body.input as any[])
      .filter((i) => i?.type === 'message' && i.role === 'developer')
      .flatMap((i) => (Array.isArray(i.content) ? i.content.map((c: any) => String(c?.text ?? '')) : [])),
  );
}

function commandRequest(r: ApprovalRequest): CommandApprovalRequest {
  expect(r.kind).toBe('command');
  return r as CommandApprovalRequest;
}

describe('approvals, answered by a handler (auto mode)', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  const seen: ApprovalRequest[] = [];
  const diagnostics: Diagnostic[] = [];
  const subs: Subscription[] = [];
  const file = (name: string) => path.join(off.workspace, name);
  const cfg = () => ({ threadConfig: { cwd: off.workspace } });
  /** approvalRequests$ saw exactly one command request in `turnId`, for this shell line. */
  const expectSeen = (turnId: string, line: string) => {
    const mine = seen.filter((r) => r.turnId === turnId);
    expect(mine).toHaveLength(1);
    expect(commandRequest(mine[0]).command).toContain(line);
    expect(mine[0].reason).toBe(`Needs to run: ${line}`);
  };

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: FEATURES });
    client = off.client();
    await client.initialize();
    subs.push(client.approvalRequests$.subscribe((r) => seen.push(r)));
    subs.push(client.diagnostics$.subscribe((d) => diagnostics.push(d)));
  });

  afterEach(() => {
    client.setApprovalHandler(null);
    expect(client.stats).toMatchObject({ turns: 0, pendingApprovals: 0 });
  });

  afterAll(async () => {
    subs.forEach((s) => s.unsubscribe());
    await off?.dispose();
  });

  it('accept: the command runs and its step completes', async () => {
    const asked: ApprovalRequest[] = [];
    client.setApprovalHandler((req) => {
      asked.push(req);
      return 'accept';
    });
    const steps = await lastValueFrom(client.chat('RUN echo yes > accepted.txt && echo wrote', cfg()).pipe(toArray()));
    expect(fs.readFileSync(file('accepted.txt'), 'utf8')).toBe('yes\n');

    expect(asked).toHaveLength(1);
    const req = commandRequest(asked[0]);
    expect(req.command).toContain('echo yes > accepted.txt && echo wrote');
    expect(req.reason).toBe('Needs to run: echo yes > accepted.txt && echo wrote');
    expect(req.cwd).toBe(off.workspace);

    const exec = steps.filter((s) => s.stepType === 'exec');
    expect(exec).toHaveLength(1);
    expect(exec[0].itemId).toBe(req.itemId);
    expect(exec[0].data).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(steps[steps.length - 1]).toMatchObject({ stepType: 'codex', text: 'Command finished: wrote' });
    expect([steps[0].threadId, steps[0].turnId]).toEqual([req.threadId, req.turnId]);
    expectSeen(req.turnId, 'echo yes > accepted.txt && echo wrote');
  });

  it('decline: the command does not run, and the turn still completes', async () => {
    client.setApprovalHandler(() => 'decline');
    const r = await client.chatOnce('RUN echo yes > declined.txt', cfg());
    expect(fs.existsSync(file('declined.txt'))).toBe(false);
    expect(r.finalText).toMatch(/^Command finished:/);
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['declined']);
    const requests = r.rawEvents.filter((e) => e.method === 'item/commandExecution/requestApproval');
    expect(requests).toHaveLength(1);
    expectSeen(r.turnId, 'echo yes > declined.txt');
  });

  it('the declined step carries data.status declined (chat)', async () => {
    client.setApprovalHandler(() => 'decline');
    const steps = await lastValueFrom(client.chat('RUN echo yes > declined2.txt', cfg()).pipe(toArray()));
    expect(fs.existsSync(file('declined2.txt'))).toBe(false);
    const exec = steps.filter((s) => s.stepType === 'exec');
    expect(exec.map((s) => s.data.status)).toEqual(['declined']);
    expectSeen(exec[0].turnId, 'echo yes > declined2.txt');
  });

  it('no handler: declined', async () => {
    const r = await client.chatOnce('RUN echo yes > nohandler.txt', cfg());
    expect(fs.existsSync(file('nohandler.txt'))).toBe(false);
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['declined']);
    expectSeen(r.turnId, 'echo yes > nohandler.txt'); // asked, and answered by the client itself
  });

  it('a handler that throws: declined, with a handler-error diagnostic', async () => {
    client.setApprovalHandler(() => {
      throw new Error('handler exploded');
    });
    const before = diagnostics.length;
    const r = await client.chatOnce('RUN echo yes > throws.txt', cfg());
    expect(fs.existsSync(file('throws.txt'))).toBe(false);
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['declined']);
    const errs = diagnostics.slice(before).filter((d) => d.kind === 'handler-error');
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toContain('handler exploded');
    expectSeen(r.turnId, 'echo yes > throws.txt');
  });

  it('an async handler that accepts after 300 ms: accepted', async () => {
    client.setApprovalHandler(
      (req) => new Promise((resolve) => setTimeout(() => resolve(req.kind === 'command' ? 'accept' : 'decline'), 300)),
    );
    const r = await client.chatOnce('RUN echo later > async.txt && echo async-ok', cfg());
    expect(fs.readFileSync(file('async.txt'), 'utf8')).toBe('later\n');
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['completed']);
    expect(r.finalText).toBe('Command finished: async-ok');
    expectSeen(r.turnId, 'echo later > async.txt && echo async-ok');
  });

  it('a file change, accepted, writes the file', async () => {
    const asked: ApprovalRequest[] = [];
    client.setApprovalHandler((req) => {
      asked.push(req);
      return 'accept';
    });
    const steps = await lastValueFrom(client.chat('PATCH newfile.txt hello', cfg()).pipe(toArray()));
    expect(fs.readFileSync(file('newfile.txt'), 'utf8')).toBe('hello\n');
    expect(asked.map((r) => r.kind)).toEqual(['fileChange']);
    const change = steps.filter((s) => s.stepType === 'file');
    expect(change).toHaveLength(1);
    expect(change[0].itemId).toBe(asked[0].itemId);
    expect(change[0].data.status).toBe('completed');
    expect(steps[steps.length - 1].text).toBe('Patch applied.');
    expect(seen.filter((r) => r.turnId === asked[0].turnId)).toEqual(asked);
  });

  it('chatEvents emits an approval event for its turn, before the command step', async () => {
    client.setApprovalHandler(() => 'accept');
    const events = await lastValueFrom(client.chatEvents('RUN echo ev > events.txt', cfg()).pipe(toArray()));
    expect(fs.readFileSync(file('events.txt'), 'utf8')).toBe('ev\n');
    const approvals = events.filter((e): e is Extract<TurnEvent, { type: 'approval' }> => e.type === 'approval');
    expect(approvals).toHaveLength(1);
    const { request } = approvals[0];
    expect(request).toMatchObject({ kind: 'command', reason: 'Needs to run: echo ev > events.txt', turnId: approvals[0].turnId });
    expect(commandRequest(request).command).toContain('echo ev > events.txt');
    const execStep = events.findIndex((e) => e.type === 'step' && e.step.stepType === 'exec');
    expect(execStep).toBeGreaterThan(events.indexOf(approvals[0]));
    expect((events[execStep] as Extract<TurnEvent, { type: 'step' }>).step.itemId).toBe(request.itemId);
    expect(events[events.length - 1].type).toBe('completed');
    expectSeen(request.turnId, 'echo ev > events.txt');
  });
});

describe('execpolicy amendments', () => {
  // An accepted amendment is a lasting rule of the server's CODEX_HOME: its own server here.
  let off: OfflineCodex;
  const cfg = () => ({ threadConfig: { cwd: off.workspace } });

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: FEATURES });
  });
  afterAll(() => off?.dispose());

  it('answered by a handler: accepted, the command runs', async () => {
    const client = off.client();
    const asked: ApprovalRequest[] = [];
    client.setApprovalHandler((req) => {
      asked.push(req);
      return { acceptWithExecpolicyAmendment: ['echo'] };
    });
    const r = await client.chatOnce('RUN echo amended > amend1.txt', cfg());
    expect(fs.readFileSync(path.join(off.workspace, 'amend1.txt'), 'utf8')).toBe('amended\n');
    expect(asked).toHaveLength(1);
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['completed']);
    // the server took the amendment: it told the model the prefix rule was saved
    expect(developerNotes(off)).toContainEqual(expect.stringMatching(/Approved command prefix saved:[\s\S]*\["echo"\]/));
  });

  it('approveApproval(req, {execpolicyAmendment}) in manual mode: accepted, the command runs', async () => {
    const client = off.client({ approvalMode: 'manual' });
    await client.initialize();
    const asked = firstValueFrom(client.approvalRequests$);
    const turn = client.chatOnce('RUN printf manual > amend2.txt', cfg());
    const req = await asked;
    expect(commandRequest(req).command).toContain('printf manual > amend2.txt');
    await client.approveApproval(req, { execpolicyAmendment: ['printf'] });
    const r = await turn;
    expect(fs.readFileSync(path.join(off.workspace, 'amend2.txt'), 'utf8')).toBe('manual');
    expect(items(r, 'commandExecution').map((i) => i.status)).toEqual(['completed']);
    expect(developerNotes(off)).toContainEqual(expect.stringMatching(/Approved command prefix saved:[\s\S]*\["printf"\]/));
  });
});

describe('manual approvals', () => {
  const INACTIVITY_MS = 20_000;
  const clock = skipScheduler();
  let off: OfflineCodex;
  let client: CodexClient;
  const cfg = () => ({ threadConfig: { cwd: off.workspace } });

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: FEATURES });
    // A deadline no real gap between frames reaches, even on a loaded machine; the spec moves the
    // client's clock past it (three times over) instead of sleeping it out.
    client = off.client({ approvalMode: 'manual', inactivityTimeoutMs: INACTIVITY_MS, scheduler: clock });
    await client.initialize();
  });
  afterAll(() => off?.dispose());

  it('a pending approval outlasts the inactivity timeout; approveApproval lets the turn finish', async () => {
    const asked = firstValueFrom(client.approvalRequests$);
    let settled = false;
    const turn = client.chatOnce('RUN echo manual > manual.txt && echo manual-ok', cfg());
    turn.then(
      () => (settled = true),
      () => (settled = true),
    );
    const req = await asked;
    expect(commandRequest(req).command).toContain('echo manual > manual.txt');
    expect(client.stats.pendingApprovals).toBe(1);

    clock.skip(3 * INACTIVITY_MS); // three inactivity timeouts' worth: the turn's deadline fires meanwhile
    await new Promise((r) => setTimeout(r, 100)); // (a timeout would settle the turn on its next tick)
    expect(settled).toBe(false); // neither timed out nor answered by itself
    expect(fs.existsSync(path.join(off.workspace, 'manual.txt'))).toBe(false);

    await client.approveApproval(req);
    const r = await turn;
    expect(r.finalText).toBe('Command finished: manual-ok');
    expect(fs.readFileSync(path.join(off.workspace, 'manual.txt'), 'utf8')).toBe('manual\n');
    expect(client.stats).toMatchObject({ turns: 0, pendingApprovals: 0 });

    const again = await client.approveApproval(req).catch((e) => e);
    expect(again).toBeInstanceOf(CodexProtocolError);
    await expect(client.declineApproval(req)).rejects.toBeInstanceOf(CodexProtocolError);
  });

  it('an execpolicy amendment on a file change is a TypeError; the request stays answerable', async () => {
    const asked = firstValueFrom(client.approvalRequests$.pipe(filter((r) => r.kind === 'fileChange')));
    const events = lastValueFrom(
      client.chatEvents('PATCH manual-patch.txt patched', { ...cfg(), inactivityTimeoutMs: null }).pipe(toArray()),
    );
    const req = await asked;
    const err = await client.approveApproval(req, { execpolicyAmendment: ['echo'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(client.stats.pendingApprovals).toBe(1);
    await client.approveApproval(req);
    const all = await events;
    expect(fs.readFileSync(path.join(off.workspace, 'manual-patch.txt'), 'utf8')).toBe('patched\n');
    const steps = all.filter((e): e is Extract<TurnEvent, { type: 'step' }> => e.type === 'step').map((e) => e.step as ConversationStep);
    expect(steps.find((s) => s.stepType === 'file')?.data.status).toBe('completed');
  });
});
