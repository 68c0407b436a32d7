/**
 * End-to-end against the REAL `codex app-server`: what happens when callers overlap turns,
 * interrupt early, or leave while an approval is being decided. Each of these once wedged a
 * caller or a thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import type { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { JsonRpcNotification } from '../../src/protocol/messages';
import type { TurnEvent } from '../../src/models';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30_000);

let off: OfflineCodex;
let client: CodexClient;
const cfg = () => ({ threadConfig: { cwd: off.workspace } });

beforeAll(async () => {
  off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
  client = off.client();
  await client.initialize();
});
afterEach(() => client.setApprovalHandler(null));
afterAll(() => off?.dispose());

/** The turn/completed notification of the turn whose id is later put in `turn.id`. */
function completion(turn: { id?: string }): Promise<JsonRpcNotification> {
  return firstValueFrom(
    client.notifications$.pipe(
      filter((n) => n.method === 'turn/completed' && (n.params as { turn?: { id?: string } }).turn?.id === turn.id),
    ),
  );
}
const status = (n: JsonRpcNotification) => (n.params as { turn: { status: string } }).turn.status;

describe('two turns started at once on one thread', () => {
  it('both callers get their own answer: the second turn starts when the first ends', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const [first, second] = await Promise.all([thread.chatOnce('SLOW 400 the first'), thread.chatOnce('ECHO the second')]);
    expect(first.finalText).toBe('the first');
    expect(second.finalText).toBe('Echo: the second');
    expect(second.turnId).not.toBe(first.turnId);
    expect(client.stats).toMatchObject({ turns: 0, waitingThreads: 0 });
  });

  it('a chat() and a chatOnce() on one thread: the steps of each turn stay with their caller', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const [steps, once] = await Promise.all([lastValueFrom(thread.chat('THINK about it').pipe(toArray())), thread.chatOnce('ECHO next')]);
    expect(steps.map((s) => [s.stepType, s.itemType === 'userMessage' ? '' : s.text])).toEqual([
      ['userMessage', ''],
      ['thinking', 'Thinking about: about it'],
      ['codex', 'about it'],
    ]);
    expect(once.finalText).toBe('Echo: next');
  });
});

describe('an interrupt asked for before the server started the turn', () => {
  it('interruptTurn() on the `started` event reaches the server: the turn ends interrupted', async () => {
    const events: TurnEvent[] = [];
    let interrupted: Promise<void> | undefined;
    const error = await new Promise<unknown>((resolve) => {
      client.chatEvents('HANG', cfg()).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'started') interrupted = client.interruptTurn(e.turnId);
        },
        error: resolve,
        complete: () => resolve(null),
      });
    });
    await expect(interrupted).resolves.toBeUndefined();
    expect(events[0]!.type).toBe('started');
    expect(error).toBeInstanceOf(CodexProtocolError);
    expect((error as CodexProtocolError).data).toMatchObject({ id: events[0]!.turnId, status: 'interrupted' });
  });

  it('chatEvents(..., { interruptOnUnsubscribe: true }).pipe(take(1)) interrupts the turn', async () => {
    const turn: { id?: string } = {};
    const done = completion(turn);
    const [started] = await lastValueFrom(client.chatEvents('HANG', { ...cfg(), interruptOnUnsubscribe: true }).pipe(take(1), toArray()));
    turn.id = started!.turnId;
    expect(status(await done)).toBe('interrupted');
    expect(client.stats).toMatchObject({ turns: 0 });
  });
});

describe('leaving a chat() while the approval handler decides', () => {
  const approvalAsked = () => firstValueFrom(client.approvalRequests$);

  it('the decision is still sent: the turn completes on the server and the thread takes the next turn', async () => {
    const file = path.join(off.workspace, 'left-accepted.txt');
    client.setApprovalHandler(() => new Promise((resolve) => setTimeout(() => resolve('accept'), 300)));
    const thread = await client.startThread({ cwd: off.workspace });
    const turn: { id?: string } = {};
    const done = completion(turn);
    const asked = approvalAsked();
    const sub = thread.chat(`RUN echo left > ${file}`).subscribe();
    turn.id = (await asked).turnId;
    sub.unsubscribe(); // while the handler is still deciding
    expect(status(await done)).toBe('completed');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('left');
    expect((await thread.chatOnce('ECHO next')).finalText).toBe('Echo: next');
    expect(client.stats).toMatchObject({ turns: 0, pendingApprovals: 0 });
  });

  it('with interruptOnUnsubscribe the turn is interrupted and the request cancelled; the late decision goes nowhere', async () => {
    const file = path.join(off.workspace, 'left-cancelled.txt');
    let decided = false;
    client.setApprovalHandler(() => new Promise((resolve) => setTimeout(() => ((decided = true), resolve('accept')), 300)));
    const thread = await client.startThread({ cwd: off.workspace });
    const turn: { id?: string } = {};
    const done = completion(turn);
    const asked = approvalAsked();
    const sub = thread.chat(`RUN echo never > ${file}`, { interruptOnUnsubscribe: true }).subscribe();
    turn.id = (await asked).turnId;
    sub.unsubscribe();
    expect(client.stats.pendingApprovals).toBe(0); // answered `cancel` at once
    expect(status(await done)).toBe('interrupted');
    await new Promise((r) => setTimeout(r, 400));
    expect(decided).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
    expect((await thread.chatOnce('ECHO after')).finalText).toBe('Echo: after');
  });
});
