/**
 * End-to-end: `thread.view$` over the REAL `codex app-server` (offline, scripted model): a turn
 * with an approval and a streamed answer, then the final view compared with `thread/read`.
 */
import { filter, firstValueFrom, startWith, Subject } from 'rxjs';
import type { ThreadView } from '../../src/view/thread-view';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30000);

/** What both sides must agree on: per turn its id and status, per item its id, type and text. */
function shape(turns: ReadonlyArray<{ id: string; status: string; items: ReadonlyArray<Record<string, unknown>> }>) {
  return turns.map((t) => ({
    id: t.id,
    status: t.status,
    items: t.items.map((i) => ({ id: i.id, type: i.type, text: i.text ?? null, status: i.status ?? null })),
  }));
}

describe('thread.view$ against the real server', () => {
  let off: OfflineCodex;

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
  });

  afterAll(async () => {
    await off?.dispose();
  });

  it('streams a turn with an approval, and ends equal to thread/read', async () => {
    const client = off.client();
    const thread = await client.startThread({ cwd: off.workspace });
    await thread.chatOnce('ECHO stored before the view');
    const views: ThreadView[] = [];
    // Following before the turn: waits for this subscription's own first view (the store read).
    const seeded = new Subject<void>();
    const following = firstValueFrom(seeded);
    const sub = thread.view$.subscribe((v) => (views.push(v), seeded.next()));
    await following;
    let sawApproval = false;
    client.setApprovalHandler(() => {
      sawApproval = views.some((v) => v.pendingApprovals.length === 1 && v.pendingApprovals[0]!.kind === 'command');
      return 'accept';
    });
    await thread.chatOnce('RUN echo viewed');
    await thread.chatOnce('STREAM 4 the streamed answer');
    // The view has taken the last turn's end (its frames may trail the result by a tick).
    const last = await firstValueFrom(thread.view$.pipe(filter((v) => v.turns.length === 3 && v.turns[2]!.status === 'completed')));
    sub.unsubscribe();

    expect(sawApproval).toBe(true);
    expect(last.pendingApprovals).toEqual([]);
    const live = views.at(-1)!;
    const read = (await client.readThread(thread.threadId, { includeTurns: true })) as unknown as {
      thread: { turns: never[]; status: unknown };
    };
    expect(shape(live.turns as never)).toEqual(shape(read.thread.turns));
    expect(shape(last.turns as never)).toEqual(shape(read.thread.turns));
    expect(live.status).toEqual(read.thread.status);
    // The streamed answer grew through its deltas.
    const partial = views.map((v) => v.turns[2]?.items.find((i) => i.type === 'agentMessage')).filter((i) => i?.type === 'agentMessage');
    expect(new Set(partial.map((i) => (i as { text: string }).text)).size).toBeGreaterThan(2);
    expect(live.turns[2]!.usage).not.toBeNull();
    await client.close();
  });

  it('a thread before its first turn, and an ephemeral thread: no stored turns, then the live ones', async () => {
    const client = off.client();
    for (const ephemeral of [false, true]) {
      const thread = await client.startThread({ cwd: off.workspace, ephemeral });
      const views: ThreadView[] = [];
      const errors: unknown[] = [];
      // One subscription, and waits on its own views (a second subscription to the cold view$
      // reads the store on its own, and may emit before or after this one).
      const pushed = new Subject<void>();
      const until = (done: () => boolean) => firstValueFrom(pushed.pipe(startWith(undefined), filter(done)));
      const sub = thread.view$.subscribe({ next: (v) => (views.push(v), pushed.next()), error: (e) => errors.push(e) });
      await until(() => views.length > 0);
      expect(views[0]!.turns).toEqual([]);
      await thread.chatOnce('ECHO live only');
      const last = () => views.at(-1)!;
      await until(() => last().turns[0]?.status === 'completed');
      expect(errors).toEqual([]);
      const answer = last().turns[0]!.items.find((i) => i.type === 'agentMessage');
      expect(answer).toMatchObject({ text: 'Echo: live only' });
      sub.unsubscribe();
    }
    await client.close();
  });
});
