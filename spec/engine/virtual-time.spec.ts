/**
 * One clock: with a `VirtualTimeScheduler` given as `ClientOptions.scheduler`, every timer of the
 * client runs in virtual time. The defaults (180 s of inactivity, 2 s of idle grace, 30 s request
 * deadlines, 300 s handler timeouts) pass in milliseconds of wall-clock time.
 */
import { NEVER } from 'rxjs';
import { CodexTimeoutError, CodexTurnInactiveError } from '../../src/errors';
import type { ChatResult } from '../../src/models';
import type { TurnScript } from '../../src/testing/fake-server';
import { virtualFakeApp } from '../support/client-fixture';

function setup(script: TurnScript) {
  const { clock, server, client } = virtualFakeApp({ script });
  return { clock, server, client };
}

/** Settles `p` into a value or an error, without an unhandled rejection meanwhile. */
function settled<T>(p: Promise<T>): { readonly value?: T; readonly error?: unknown; readonly done: boolean } {
  const out: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(out, { value, done: true }),
    (error) => Object.assign(out, { error, done: true }),
  );
  return out;
}

describe('one clock: the defaults run in virtual time', () => {
  it('a silent turn errors with CodexTurnInactiveError after exactly 180,000 virtual ms', async () => {
    const { clock, client } = setup((t) => {
      t.message('first', { id: 'm1' });
      t.keepOpen();
    });
    const once = settled(client.chatOnce('go'));
    await clock.advance(179_999);
    expect(once.done).toBe(false);
    await clock.advance(1);
    expect(once.done).toBe(true);
    expect(once.error).toBeInstanceOf(CodexTurnInactiveError);
    expect((once.error as CodexTurnInactiveError).idleMs).toBe(180_000);
    expect(clock.now()).toBe(180_000);
  });

  it('a turn whose thread went idle without turn/completed ends from its stored turns after the 2,000 ms grace', async () => {
    const { clock, client, server } = setup((t) => {
      t.message('the answer', { id: 'm1' });
      t.complete({ sendTurnCompleted: false });
    });
    const diagnostics: string[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d.message));
    const once = settled(client.chatOnce('go'));
    await clock.advance(1_999);
    expect(once.done).toBe(false);
    expect(server.requestsOf('thread/turns/list')).toHaveLength(0);
    await clock.advance(1);
    expect(server.requestsOf('thread/turns/list')).toHaveLength(1);
    expect(once.done).toBe(true);
    expect((once.value as ChatResult).finalText).toBe('the answer');
    expect(diagnostics).toContainEqual(
      expect.stringMatching(/thread went idle without turn\/completed; ended from its stored turns \(completed\)/),
    );
    expect(client.stats).toMatchObject({ turns: 0, idleChecks: 0 });
  });

  it('a request nobody answers times out after 30,000 virtual ms', async () => {
    const { clock, client, server } = setup((t) => t.keepOpen());
    server.handle('model/list', () => new Promise(() => undefined));
    const list = settled(client.listModels());
    await clock.advance(29_999);
    expect(list.done).toBe(false);
    await clock.advance(1);
    expect(list.error).toBeInstanceOf(CodexTimeoutError);
    expect((list.error as CodexTimeoutError).info).toEqual({ method: 'model/list', timeoutMs: 30_000 });
  });

  it('an approval handler that never answers is declined after 300,000 virtual ms, and the turn goes on', async () => {
    let decision: unknown;
    const { clock, client } = setup(async (t) => {
      decision = await t.approval({ command: 'rm -rf /', reason: 'cleanup' });
      t.message('done', { id: 'm1' });
    });
    client.setApprovalHandler(() => NEVER);
    // an approval pauses the inactivity clock: the turn is waiting for a person, not silent
    const once = settled(client.chatOnce('go'));
    await clock.advance(299_999);
    expect(once.done).toBe(false);
    expect(client.stats.pendingApprovals).toBe(1);
    await clock.advance(1);
    expect(decision).toBe('decline');
    expect((once.value as ChatResult).finalText).toBe('done');
  });

  it('cancel() waits for the interrupted turn on the same clock', async () => {
    const { clock, client, server } = setup((t) => {
      t.message('partial', { id: 'm1' });
      t.keepOpen();
    });
    // An interrupt the server acknowledges but never acts on.
    server.handle('turn/interrupt', () => ({}));
    const once = settled(client.chatOnce('go', { inactivityTimeoutMs: 1_000 }));
    await clock.advance(1_000);
    const { continuation } = once.error as CodexTurnInactiveError;
    const cancel = settled(client.cancel(continuation));
    await clock.advance(29_999);
    expect(cancel.done).toBe(false);
    await clock.advance(1);
    expect(cancel.error).toBeInstanceOf(CodexTimeoutError);
    expect((cancel.error as CodexTimeoutError).info).toEqual({ method: 'turn/interrupt', timeoutMs: 30_000 });
  });
});
