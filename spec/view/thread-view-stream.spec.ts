/**
 * `client.threadView$` / `thread.view$`: seeded from the stored turns, kept by live frames, and
 * reconciled with the store again after a reconnect (frames lost while the link was down).
 */
import { CodexClient } from '../../src/client';
import { FakeAppServer } from '../../src/testing/fake-server';
import {
  agentDelta,
  agentMessageItem,
  approvalRequest,
  errorResponse,
  itemStarted,
  response,
  threadObject,
  turnObject,
  turnStarted,
  userMessageItem,
} from '../../src/testing/frames';
import type { ThreadView } from '../../src/view/thread-view';
import { LinkedTransport } from '../support/linked-transport';
import { hello } from '../support/client-fixture';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};
const texts = (v: ThreadView | undefined) =>
  (v?.turns ?? []).map((t) => [t.status, t.items.map((i) => (i.type === 'agentMessage' ? i.text : i.type))]);

describe('thread.view$ over the fake app-server', () => {
  it('seeds from the stored turns, then follows a live turn with its approval', async () => {
    const server = new FakeAppServer({
      script: async (turn) => {
        if (turn.text === 'second') await turn.approval({ command: 'make' });
        turn.message(`Echo: ${turn.text}`, { deltas: ['Echo: ', turn.text] });
      },
    });
    const client = server.client();
    try {
      const thread = await client.startThread();
      await thread.chatOnce('first');
      const views: ThreadView[] = [];
      const sub = thread.view$.subscribe((v) => views.push(v));
      await settle();
      expect(texts(views.at(-1))).toEqual([['completed', ['userMessage', 'Echo: first']]]);
      const seeded = views.at(-1)!;

      let release: () => void = () => undefined;
      const approved = new Promise<void>((r) => (release = r));
      client.setApprovalHandler(async (): Promise<'accept'> => {
        await approved;
        return 'accept';
      });
      const second = thread.chatOnce('second');
      await settle();
      const waiting = views.at(-1)!;
      expect(waiting.pendingApprovals.map((a) => a.kind)).toEqual(['command']);
      expect(waiting.turns[1]!.status).toBe('inProgress');
      // The stored turn did not change: same object.
      expect(waiting.turns[0]).toBe(seeded.turns[0]);
      release();
      await second;
      await settle();
      const last = views.at(-1)!;
      expect(texts(last)).toEqual([
        ['completed', ['userMessage', 'Echo: first']],
        ['completed', ['userMessage', 'Echo: second']],
      ]);
      expect(last.pendingApprovals).toEqual([]);
      // The text grew: some view showed the first delta alone.
      expect(views.some((v) => texts(v)[1]?.[1]?.[1] === 'Echo: ')).toBe(true);
      sub.unsubscribe();
    } finally {
      await client.close();
    }
  });

  it('client.threadView$ of a thread it has not opened reads it from the store', async () => {
    const server = new FakeAppServer();
    const first = server.client();
    const thread = await first.startThread();
    await thread.chatOnce('hello');
    const views: ThreadView[] = [];
    first.threadView$(thread.threadId).subscribe((v) => views.push(v));
    await settle();
    expect(views).toHaveLength(1);
    expect(texts(views[0])).toEqual([['completed', ['userMessage', 'Echo: hello']]]);
    await first.close();
  });
});

describe('across a reconnect', () => {
  it('reads the store again and reconciles what was missed while the link was down', async () => {
    const T = 'thr-1';
    const ids = { threadId: T, turnId: 'turn-1' };
    const stored = { ...turnObject('turn-1', { status: 'inProgress' }), items: [userMessageItem('u', 'go')] as object[] };
    const transport = new LinkedTransport((f) => {
      const id = f.id as number;
      switch (f.method) {
        case 'initialize':
          return hello(id);
        case 'thread/turns/list':
          return response(id, { data: [stored], nextCursor: null });
        case 'thread/read':
          return response(id, { thread: threadObject(T) });
        default:
          return undefined;
      }
    });
    const client = new CodexClient(transport);
    const views: ThreadView[] = [];
    client.threadView$(T).subscribe((v) => views.push(v));
    await settle();
    transport.push(
      turnStarted(ids),
      itemStarted({ ...ids, item: agentMessageItem('m', '') }),
      agentDelta({ ...ids, itemId: 'm', delta: 'Hal' }),
    );
    expect(texts(views.at(-1))).toEqual([['inProgress', ['userMessage', 'Hal']]]);
    const user = views.at(-1)!.turns[0]!.items[0];

    transport.drop(true);
    // Meanwhile the turn ended on the server: the frames are lost, the store has it.
    stored.status = 'completed';
    stored.items = [userMessageItem('u', 'go'), agentMessageItem('m', 'Hallo')];
    transport.restore();
    await settle();
    expect(texts(views.at(-1))).toEqual([['completed', ['userMessage', 'Hallo']]]);
    expect(views.at(-1)!.turns[0]!.items[0]).toBe(user);
    expect(transport.sent.filter((s) => s.frame.method === 'thread/turns/list').map((s) => s.link)).toEqual([1, 2]);
    await client.close();
  });

  it("drops the old link's pending approvals of a turn that runs on", async () => {
    const T = 'thr-1';
    const ids = { threadId: T, turnId: 'turn-1' };
    const stored = { ...turnObject('turn-1', { status: 'inProgress' }), items: [] as object[] };
    const transport = new LinkedTransport((f) => {
      const id = f.id as number;
      if (f.method === 'initialize') return hello(id);
      if (f.method === 'thread/turns/list') return response(id, { data: [stored], nextCursor: null });
      if (f.method === 'thread/read') return response(id, { thread: threadObject(T) });
      return undefined;
    });
    const client = new CodexClient(transport, { approvalMode: 'manual' });
    const views: ThreadView[] = [];
    client.threadView$(T).subscribe((v) => views.push(v));
    await settle();
    transport.push(turnStarted(ids), approvalRequest({ id: 0, ...ids, itemId: 'c', command: 'ls' }));
    expect(views.at(-1)!.pendingApprovals.map((a) => a.itemId)).toEqual(['c']);
    transport.drop(true);
    transport.restore();
    await settle();
    expect(views.at(-1)!.turns.map((t) => t.status)).toEqual(['inProgress']);
    expect(views.at(-1)!.pendingApprovals).toEqual([]);
    await client.close();
  });

  it('a read that fails after a reconnect leaves the view live; one that fails at the start fails it', async () => {
    const T = 'thr-1';
    const ids = { threadId: T, turnId: 'turn-1' };
    const transport = new LinkedTransport((f, link) => {
      const id = f.id as number;
      if (f.method === 'initialize') return hello(id);
      if (f.method === 'thread/turns/list' && link > 1) return errorResponse(id, -32603, 'store unavailable');
      if (f.method === 'thread/turns/list') return response(id, { data: [], nextCursor: null });
      if (f.method === 'thread/read') return response(id, { thread: threadObject(T) });
      return undefined;
    });
    const client = new CodexClient(transport);
    const views: ThreadView[] = [];
    const errors: unknown[] = [];
    client.threadView$(T).subscribe({ next: (v) => views.push(v), error: (e) => errors.push(e) });
    await settle();
    transport.drop(true);
    transport.restore();
    await settle();
    transport.push(
      turnStarted(ids),
      itemStarted({ ...ids, item: agentMessageItem('m', '') }),
      agentDelta({ ...ids, itemId: 'm', delta: 'still live' }),
    );
    expect(errors).toEqual([]);
    expect(texts(views.at(-1))).toEqual([['inProgress', ['still live']]]);

    const failing: unknown[] = [];
    client.threadView$(T).subscribe({ error: (e) => failing.push(e) });
    await settle();
    expect(String((failing[0] as Error)?.message)).toContain('store unavailable');
    await client.close();
  });
});
