/**
 * Fault injection: -32001 "overloaded" answers (retry with backoff for reads, none for turn/start)
 * and a turn whose `turn/completed` never comes although its thread went idle. Fake app-server.
 */
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { stdioFake as fake } from '../support/fake-process';
import { ZERO_STATS } from '../support/stats';

async function counts(client: CodexClient): Promise<Record<string, number>> {
  return ((await client.request('fake/stats')) as { counts: Record<string, number> }).counts;
}

describe('error -32001 (server overloaded)', () => {
  it('retries listModels with backoff and succeeds when the server fails twice, then answers', async () => {
    const client = fake(['overload=model/list:2'], { retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    const models = await client.listModels();
    expect(models.data.map((m) => m.id)).toEqual(['fake-model']);
    expect((await counts(client))['model/list']).toBe(3);
    expect(client.stats.pendingRequests).toBe(0);
  });

  it('does not retry turn/start: chatOnce rejects with code -32001 after one attempt', async () => {
    const client = fake([], { retry: { baseDelayMs: 10 } });
    const err = await client.chatOnce('OVERLOADED please').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as CodexProtocolError).code).toBe(-32001);
    expect((err as Error).message).toContain('turn/start');
    expect((await counts(client))['turn/start']).toBe(1);
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('bounds the retries: maxRetries 2 fails after 3 attempts with the code', async () => {
    const client = fake(['overload=model/list:10'], { retry: { maxRetries: 2, baseDelayMs: 10 } });
    const err = await client.listModels().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as CodexProtocolError).code).toBe(-32001);
    expect((await counts(client))['model/list']).toBe(3);
  });

  it('retry: false sends once', async () => {
    const client = fake(['overload=model/list:1'], { retry: false });
    const err = await client.listModels().catch((e: unknown) => e);
    expect((err as CodexProtocolError).code).toBe(-32001);
    expect((await counts(client))['model/list']).toBe(1);
  });
});

describe('turn/completed never comes although the thread went idle', () => {
  it('ends the turn from thread/read after idleGraceMs (the item had completed)', async () => {
    const client = fake([], { idleGraceMs: 200, inactivityTimeoutMs: 60_000 });
    const diagnostics: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => diagnostics.push(d));
    const result = await client.chatOnce('NO_COMPLETE via read');
    expect(result.finalText).toBe('Echo: via read');
    expect(result.completionSource).toBe('item_completed');
    // one read of the stored turns (`thread/turns/list`, as the real server offers; the `thread/read`
    // fallback for servers without it is covered in spec/engine/turn-engine.spec.ts)
    expect((await counts(client))['thread/turns/list']).toBe(1);
    const note = diagnostics.find((d) => d.kind === 'protocol');
    expect(note?.message).toContain(`turn ${result.turnId}: thread went idle without turn/completed`);
    expect(client.stats).toEqual(ZERO_STATS);
  });

  it('also when the idle status comes well after the turn was bound', async () => {
    const client = fake([], { idleGraceMs: 200, inactivityTimeoutMs: 60_000 });
    const result = await client.chatOnce('NO_COMPLETE_LATE later');
    expect(result.finalText).toBe('Echo: later');
    expect((await counts(client))['thread/turns/list']).toBe(1);
    expect(client.stats.idleChecks).toBe(0);
  });

  it('ends it with the items found by thread/read when no item/completed came either', async () => {
    const client = fake([], { idleGraceMs: 200, inactivityTimeoutMs: 60_000 });
    const result = await client.chatOnce('NO_COMPLETE_NO_ITEM only deltas');
    expect(result.finalText).toBe('Echo: only deltas');
    // The stored turn's agent message is delivered as the item/completed the turn never got.
    expect(result.completionSource).toBe('item_completed');
    expect(result.assistantItemId).toMatch(/^item_/);
    expect(client.stats.turns).toBe(0);
  });

  it('ends a chat() stream too', async () => {
    const client = fake([], { idleGraceMs: 200, inactivityTimeoutMs: 60_000 });
    const steps = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      client.chat('NO_COMPLETE streamed').subscribe({ next: (s) => out.push(s.text ?? ''), error: reject, complete: () => resolve(out) });
    });
    expect(steps).toEqual(['Echo: streamed']);
  });
});
