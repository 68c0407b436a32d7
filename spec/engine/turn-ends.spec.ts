/**
 * How a turn ends when the server is odd: a `turn/completed` whose turn does not decode (strict
 * and not), and a server that keeps retrying (its `error` notices with `willRetry` are not
 * progress, so the inactivity timeout still fires). On a virtual clock.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { CodexProtocolError, CodexTurnInactiveError } from '../../src/errors';
import type { ClientOptions } from '../../src/options';
import type { TurnScript } from '../../src/testing/fake-server';
import { virtualFakeApp } from '../support/client-fixture';

function setup(script: TurnScript, options: ClientOptions = {}) {
  const { clock, server, client } = virtualFakeApp({ script }, options);
  return { clock, server, client };
}

/** A turn that answers, then sends a turn/completed whose turn has an id but no status. */
const noStatus: TurnScript = (t) => {
  t.message('the answer', { id: 'm1' });
  t.send({ method: 'turn/completed', params: { threadId: t.threadId, turn: { id: t.turnId } } });
  t.keepOpen();
};

describe('a turn/completed whose turn does not decode', () => {
  it('non-strict (default): the turn completes with its answer, and the frame is reported', async () => {
    const { client } = setup(noStatus);
    const diagnostics: string[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d.message));
    const result = await client.chatOnce('go');
    expect(result.finalText).toBe('the answer');
    expect(diagnostics).toContainEqual(expect.stringMatching(/^malformed turn\/completed: turn\.status: expected string, got undefined/));
    expect(client.stats.turns).toBe(0);
  });

  it('strict: the turn fails with CodexProtocolError', async () => {
    const { client } = setup(noStatus, { strict: true });
    const err = await lastValueFrom(client.chat('go').pipe(toArray())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/malformed turn\/completed/);
  });
});

describe('a server that keeps retrying', () => {
  it('its retry notices are not progress: the turn times out as inactive, and a chatEvents consumer sees them', async () => {
    const { clock, client } = setup(async (t) => {
      for (;;) {
        t.error('stream disconnected; retrying', { willRetry: true });
        await t.wait(10_000);
      }
    });
    const events: string[] = [];
    let error: unknown;
    client.chatEvents('go', { inactivityTimeoutMs: 60_000 }).subscribe({ next: (e) => events.push(e.type), error: (e) => (error = e) });
    await clock.advance(59_999);
    expect(error).toBeUndefined();
    await clock.advance(1);
    expect(error).toBeInstanceOf(CodexTurnInactiveError);
    expect(events.filter((e) => e === 'retry')).toHaveLength(6);
  });
});
