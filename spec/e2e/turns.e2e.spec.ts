/**
 * End-to-end: turns through CodexClient against the REAL `codex app-server` (the pinned version, or the one `npm run test:latest` installs) and the
 * scripted model (directives in the user's text, see src/testing/scripted-model.ts).
 */
import { lastValueFrom, Observable, Subscription, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTurnInactiveError } from '../../src/errors';
import type { ChatContinuation, ConversationStep, TurnEvent } from '../../src/models';
import type { JsonRpcNotification } from '../../src/protocol/messages';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30000);

/** Collects a stream's values until it completes or errors (the error is returned, not thrown). */
function collect<T>(source: Observable<T>): Promise<{ values: T[]; error: unknown }> {
  return new Promise((resolve) => {
    const values: T[] = [];
    source.subscribe({
      next: (v) => values.push(v),
      error: (error) => resolve({ values, error }),
      complete: () => resolve({ values, error: undefined }),
    });
  });
}

async function inactive(p: Promise<unknown>): Promise<CodexTurnInactiveError> {
  const err = await p.then(
    () => {
      throw new Error('expected CodexTurnInactiveError, got a result');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CodexTurnInactiveError);
  return err as CodexTurnInactiveError;
}

/** Polls `check` until it returns something truthy (a generous bound: this is about waiting, not timing). */
async function until<T>(check: () => T | undefined | null | false, what: string, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('turns against the real app-server', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  let slowClient: CodexClient;
  const notes: JsonRpcNotification[] = [];
  const subs: Subscription[] = [];
  const cfg = () => ({ threadConfig: { cwd: off.workspace } });

  const turnCompleted = (turnId: string) =>
    notes.find((n) => n.method === 'turn/completed' && (n.params as any)?.turn?.id === turnId) as
      { params: { turn: { id: string; status: string } } } | undefined;

  beforeAll(async () => {
    // Without this every new thread runs a login shell to snapshot it: 20 concurrent threads then
    // take about 30 s on 2 cores instead of about 4 s.
    off = await startOfflineCodex({ features: { shell_snapshot: false } });
    client = off.client();
    slowClient = off.client({ inactivityTimeoutMs: 300 });
    await client.initialize();
    await slowClient.initialize();
    subs.push(client.notifications$.subscribe((n) => notes.push(n)));
  });

  afterAll(async () => {
    subs.forEach((s) => s.unsubscribe());
    await off?.dispose();
  });

  it('a plain turn: final text from item/completed, with its raw frames', async () => {
    const r = await client.chatOnce('ECHO hi', cfg());
    expect(r.finalText).toBe('Echo: hi');
    expect(r.completionSource).toBe('item_completed');
    expect(typeof r.assistantItemId).toBe('string');
    expect(r.assistantItemId).not.toBe('');
    const methods = r.rawEvents.map((e) => e.method);
    expect(methods).toContain('turn/started');
    expect(methods[methods.length - 1]).toBe('turn/completed');
    const started = r.rawEvents.find((e) => e.method === 'turn/started') as any;
    const completed = r.rawEvents.find((e) => e.method === 'turn/completed') as any;
    expect(started.params.turn.id).toBe(r.turnId);
    expect(completed.params).toMatchObject({ threadId: r.threadId, turn: { id: r.turnId, status: 'completed' } });
    const msg = r.rawEvents.find((e) => e.method === 'item/completed' && (e.params as any).item.type === 'agentMessage') as any;
    expect(msg.params.item).toMatchObject({ id: r.assistantItemId, text: 'Echo: hi' });
    // deltas are not retained
    expect(methods.some((m) => m.endsWith('/delta'))).toBe(false);
    expect(off.model.requests.some((q) => q.userText === 'ECHO hi')).toBe(true);
  });

  it('chat: the reasoning step comes before the agent message, each with its text and ids', async () => {
    const steps = await lastValueFrom(client.chat('THINK deep', cfg()).pipe(toArray()));
    const thinking = steps.findIndex((s) => s.stepType === 'thinking');
    const codex = steps.findIndex((s) => s.stepType === 'codex');
    expect(thinking).toBeGreaterThanOrEqual(0);
    expect(codex).toBeGreaterThan(thinking);
    expect(steps[thinking]).toMatchObject({ itemType: 'reasoning', text: 'Thinking about: deep', status: 'completed' });
    expect(steps[codex]).toMatchObject({ itemType: 'agentMessage', text: 'deep', status: 'completed' });
    const { threadId, turnId } = steps[0];
    expect(threadId).toMatch(/\S/);
    expect(turnId).toMatch(/\S/);
    for (const s of steps) expect([s.threadId, s.turnId]).toEqual([threadId, turnId]);
    const ids = steps.map((s) => s.itemId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('chatEvents: started first, deltas concatenate to the message, completed last', async () => {
    const events = await lastValueFrom(client.chatEvents('STREAM 5 abcdefghij', cfg()).pipe(toArray()));
    expect(events[0].type).toBe('started');
    const last = events[events.length - 1] as Extract<TurnEvent, { type: 'completed' }>;
    expect(last.type).toBe('completed');
    const deltas = events.filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta' && e.itemType === 'agentMessage');
    expect(deltas).toHaveLength(5);
    const text = deltas.map((d) => d.delta).join('');
    expect(text).toBe('abcdefghij');
    const step = events.find((e): e is Extract<TurnEvent, { type: 'step' }> => e.type === 'step' && e.step.stepType === 'codex');
    expect(step!.step.text).toBe(text);
    expect(new Set(deltas.map((d) => d.itemId))).toEqual(new Set([step!.step.itemId]));
    expect(events.indexOf(step!)).toBeGreaterThan(events.indexOf(deltas[4]));
    expect(last.result.finalText).toBe(text);
    expect(last.result.assistantItemId).toBe(step!.step.itemId);
    for (const e of events) expect([e.threadId, e.turnId]).toEqual([last.result.threadId, last.result.turnId]);
    expect(events.filter((e) => e.type === 'started' || e.type === 'completed')).toHaveLength(2);
  });

  it('chatEvents: reasoning deltas stream before the thinking step and concatenate to its text', async () => {
    const events = await lastValueFrom(client.chatEvents('REASON 4 weighing the options', cfg()).pipe(toArray()));
    const deltas = events.filter((e): e is Extract<TurnEvent, { type: 'delta' }> => e.type === 'delta' && e.itemType === 'reasoning');
    expect(deltas).toHaveLength(4);
    const thinking = events.find((e): e is Extract<TurnEvent, { type: 'step' }> => e.type === 'step' && e.step.stepType === 'thinking');
    expect(thinking!.step.text).toBe('weighing the options');
    expect(deltas.map((d) => d.delta).join('')).toBe('weighing the options');
    expect(new Set(deltas.map((d) => d.itemId))).toEqual(new Set([thinking!.step.itemId]));
    expect(events.indexOf(thinking!)).toBeGreaterThan(events.indexOf(deltas[3]));
    const last = events[events.length - 1] as Extract<TurnEvent, { type: 'completed' }>;
    expect(last.result.finalText).toBe('Reasoned.');
  });

  it('a failing model fails chatOnce and chat with CodexProtocolError carrying the turn', async () => {
    const err = await client.chatOnce('FAIL kaboom', cfg()).catch((e) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.name).toBe('CodexProtocolError');
    expect(err.message).toContain('kaboom');
    expect(err.data).toMatchObject({ status: 'failed' });
    expect(typeof err.data.id).toBe('string');

    const { error } = await collect(client.chat('FAIL x', cfg()));
    expect(error).toBeInstanceOf(CodexProtocolError);
    expect((error as CodexProtocolError).message).toContain('x');
    expect((error as CodexProtocolError).data).toMatchObject({ status: 'failed' });
    expect(client.stats.turns).toBe(0);
  });

  describe('inactivity and continuation', () => {
    it('chatOnce (client option): times out, then the continuation resolves the late answer', async () => {
      const err = await inactive(slowClient.chatOnce('SLOW 1500 late answer', cfg()));
      expect(err.name).toBe('CodexTurnInactiveError');
      expect(err.idleMs).toBe(300);
      const c = err.continuation;
      expect(c).toEqual({ threadId: expect.any(String), turnId: expect.any(String), cursor: expect.any(Number), mode: 'once' });
      expect(JSON.parse(JSON.stringify(c))).toEqual(c);
      const r = await slowClient.chatOnce(undefined, { continuation: c, inactivityTimeoutMs: null });
      expect(r.finalText).toBe('late answer');
      expect([r.threadId, r.turnId]).toEqual([c.threadId, c.turnId]);
      expect(r.rawEvents.map((e) => e.method)).toContain('turn/started');
      expect(slowClient.stats.turns).toBe(0);
    });

    it('chat (per-call option): steps before and after the timeout have no duplicate and no gap', async () => {
      const first = await collect(client.chat('SLOW 1500 late stream', { ...cfg(), inactivityTimeoutMs: 300 }));
      const err = first.error as CodexTurnInactiveError;
      expect(err).toBeInstanceOf(CodexTurnInactiveError);
      expect(err.idleMs).toBe(300);
      expect(err.continuation.mode).toBe('stream');
      const second = await lastValueFrom(
        client.chat(undefined, { continuation: err.continuation, inactivityTimeoutMs: null }).pipe(toArray()),
      );
      const all: ConversationStep[] = [...first.values, ...second];
      const ids = all.map((s) => s.itemId);
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(all.filter((s) => s.stepType === 'codex').map((s) => s.text)).toEqual(['late stream']);
      expect(second.some((s) => s.text === 'late stream')).toBe(true);
      // the user message completed before the stall; it must be somewhere exactly once
      expect(all.filter((s) => s.itemType === 'userMessage')).toHaveLength(1);
      for (const s of all) expect([s.threadId, s.turnId]).toEqual([err.continuation.threadId, err.continuation.turnId]);
      expect(client.stats.turns).toBe(0);
    });

    it('rejects a continuation of the wrong mode, with text, or of an unknown turn', async () => {
      const err = await inactive(client.chatOnce('SLOW 1500 mode check', { ...cfg(), inactivityTimeoutMs: 300 }));
      const c = err.continuation;
      expect(c.mode).toBe('once');

      // caller mistakes are TypeErrors
      const wrongMode = await collect(client.chat(undefined, { continuation: c }));
      expect(wrongMode.error).toBeInstanceOf(TypeError);
      expect((wrongMode.error as Error).message).toMatch(/mode 'once'/);
      expect(wrongMode.values).toEqual([]);

      expect(() => client.chat('more text', { continuation: c })).toThrow(TypeError);
      await expect(client.chatOnce('more text', { continuation: c })).rejects.toThrow(TypeError);
      await expect(client.chatOnce(undefined, { continuation: c, threadId: c.threadId })).rejects.toThrow(/threadId/);

      const unknown: ChatContinuation = { ...c, turnId: 'no-such-turn' };
      const unknownErr = await client.chatOnce(undefined, { continuation: unknown }).catch((e) => e);
      expect(unknownErr).toBeInstanceOf(TypeError);
      expect(unknownErr.message).toMatch(/unknown turn no-such-turn/);

      // none of that consumed the suspended turn: it still resumes with its answer
      const r = await client.chatOnce(undefined, { continuation: c, inactivityTimeoutMs: null });
      expect(r.finalText).toBe('mode check');
    });

    it('ThreadHandle.chat refuses a continuation of another thread', async () => {
      const a = await client.startThread({ cwd: off.workspace });
      const b = await client.startThread({ cwd: off.workspace });
      const first = await collect(a.chat('SLOW 1500 thread a', { inactivityTimeoutMs: 300 }));
      const c = (first.error as CodexTurnInactiveError).continuation;
      expect(c.threadId).toBe(a.threadId);

      const wrong = await collect(b.chat(undefined, { continuation: c }));
      expect(wrong.error).toBeInstanceOf(TypeError);
      expect((wrong.error as Error).message).toMatch(/does not belong to thread/);
      expect(wrong.values).toEqual([]);

      const rest = await lastValueFrom(a.chat(undefined, { continuation: c, inactivityTimeoutMs: null }).pipe(toArray()));
      expect(rest.filter((s) => s.stepType === 'codex').map((s) => s.text)).toEqual(['thread a']);
    });
  });

  describe('cancel', () => {
    it('interrupts a hanging turn; the thread then takes a new turn', async () => {
      const err = await inactive(client.chatOnce('HANG', { ...cfg(), inactivityTimeoutMs: 300 }));
      const c = err.continuation;
      const res = await client.cancel(c);
      expect(res).toMatchObject({ threadId: c.threadId, turnId: c.turnId, wasInterrupted: true, wasCompleted: false });
      expect(res.rawEvents.map((e) => e.method)).toContain('turn/completed');
      expect(turnCompleted(c.turnId)?.params.turn.status).toBe('interrupted');
      expect(client.stats.turns).toBe(0);

      const after = await client.chatOnce('ECHO after', { threadId: c.threadId });
      expect(after.finalText).toBe('Echo: after');
      expect(after.threadId).toBe(c.threadId);
    });

    it('of a turn that already ended: no interrupt, and the unread steps hold the late message', async () => {
      const err = await inactive(client.chatOnce('SLOW 600 ended late', { ...cfg(), inactivityTimeoutMs: 300 }));
      const c = err.continuation;
      await until(() => turnCompleted(c.turnId), `turn/completed of ${c.turnId}`);
      const res = await client.cancel(c);
      expect(res.wasCompleted).toBe(true);
      expect(res.wasInterrupted).toBe(false);
      expect(turnCompleted(c.turnId)?.params.turn.status).toBe('completed');
      const late = res.steps.filter((s) => s.stepType === 'codex');
      expect(late.map((s) => s.text)).toEqual(['ended late']);
      expect(res.rawEvents[res.rawEvents.length - 1].method).toBe('turn/completed');
      expect(client.stats.turns).toBe(0);
      // cancelled: nothing left to resume
      await expect(client.chatOnce(undefined, { continuation: c })).rejects.toBeInstanceOf(TypeError);
    });
  });

  it('three turns on one ThreadHandle, then rollback(1) leaves two', async () => {
    const handle = await client.startThread({ cwd: off.workspace });
    const results = [];
    for (const word of ['one', 'two', 'three']) results.push(await handle.chatOnce(`ECHO ${word}`));
    expect(results.map((r) => r.finalText)).toEqual(['Echo: one', 'Echo: two', 'Echo: three']);
    expect(new Set(results.map((r) => r.threadId))).toEqual(new Set([handle.threadId]));

    const before = (await handle.read({ includeTurns: true })) as any;
    expect(before.thread.turns.map((t: any) => t.id)).toEqual(results.map((r) => r.turnId));

    await handle.rollback(1);
    const read = (await handle.read({ includeTurns: true })) as any;
    expect(read.thread.id).toBe(handle.threadId);
    expect(read.thread.turns.map((t: any) => t.id)).toEqual([results[0].turnId, results[1].turnId]);
  });

  it('20 concurrent turns on their own threads each get their own answer, and leave no state', async () => {
    const n = Array.from({ length: 20 }, (_, i) => i);
    const results = await Promise.all(n.map((i) => client.chatOnce(`ECHO n${i}`, cfg())));
    expect(results.map((r) => r.finalText)).toEqual(n.map((i) => `Echo: n${i}`));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(20);
    expect(new Set(results.map((r) => r.turnId)).size).toBe(20);
    expect(client.stats).toMatchObject({ turns: 0, waitingThreads: 0, pendingRequests: 0 });
  });

  describe('unsubscribing mid-turn', () => {
    function firstStep(source: Observable<ConversationStep>): Promise<{ step: ConversationStep; sub: Subscription }> {
      return new Promise((resolve, reject) => {
        let resolved = false;
        const sub: Subscription = source.subscribe({
          next: (step) => {
            if (!resolved) {
              resolved = true;
              queueMicrotask(() => resolve({ step, sub }));
            }
          },
          error: reject,
        });
      });
    }

    it('frees the routing state at once (the turn keeps running on the server)', async () => {
      const { step, sub } = await firstStep(client.chat('HANG', cfg()));
      expect(step.itemType).toBe('userMessage');
      expect(client.stats.turns).toBe(1);
      sub.unsubscribe();
      expect(client.stats.turns).toBe(0);
      // Without interruptOnUnsubscribe nothing is sent: the turn is still running.
      await new Promise((r) => setTimeout(r, 300));
      expect(turnCompleted(step.turnId)).toBeUndefined();
      await client.interruptTurn(step.turnId, { threadId: step.threadId });
      const done = await until(() => turnCompleted(step.turnId), 'turn/completed after interruptTurn');
      expect(done.params.turn.status).toBe('interrupted');
      expect(client.stats.turns).toBe(0);
    });

    it('with interruptOnUnsubscribe, the server reports the turn interrupted', async () => {
      const { step, sub } = await firstStep(client.chat('HANG', { ...cfg(), interruptOnUnsubscribe: true }));
      sub.unsubscribe();
      expect(client.stats.turns).toBe(0);
      const done = await until(() => turnCompleted(step.turnId), 'turn/completed after unsubscribe');
      expect(done.params.turn.status).toBe('interrupted');
      // the thread is free again
      const after = await client.chatOnce('ECHO again', { threadId: step.threadId });
      expect(after.finalText).toBe('Echo: again');
      expect(client.stats).toMatchObject({ turns: 0, waitingThreads: 0, pendingRequests: 0 });
    });
  });
});
