/**
 * Fault injection: bad input from the server (garbage lines, stray/duplicate responses, malformed
 * params, odd server-request ids, unanswered requests), against the fake app-server
 * (the shipped FakeAppServer with `installFaults`, spec/support/fake-process.ts) run as a real child process.
 */
import { filter, firstValueFrom } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexTimeoutError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import type { JsonRpcNotification } from '../../src/protocol/messages';
import { stdioFake as fake } from '../support/fake-process';
import { ZERO_STATS } from '../support/stats';

function collect<T>(source: { subscribe(fn: (v: T) => void): unknown }): T[] {
  const out: T[] = [];
  source.subscribe((v) => out.push(v));
  return out;
}
async function stats(client: CodexClient): Promise<{ counts: Record<string, number>; received: Array<Record<string, unknown>> }> {
  return (await client.request('fake/stats', undefined, { timeoutMs: 30_000 })) as {
    counts: Record<string, number>;
    received: Array<Record<string, unknown>>;
  };
}

describe('garbage on stdout between valid frames', () => {
  it('completes the turn with the right (multi-byte) text and reports each bad line once', async () => {
    const client = fake();
    const diagnostics = collect<Diagnostic>(client.diagnostics$);
    const deltas: string[] = [];
    client.notifications$
      .pipe(filter((n) => n.method === 'item/agentMessage/delta'))
      .subscribe((n) => deltas.push((n.params as { delta: string }).delta));

    const text = 'h€llo wörld ✓ 日本語 🎉';
    const result = await client.chatOnce(`GARBAGE ${text}`);

    expect(result.finalText).toBe(text);
    expect(result.completionSource).toBe('item_completed');
    expect(deltas).toEqual([text]);
    const bad = diagnostics.filter((d) => d.kind === 'invalid-json');
    // a log line, a half-JSON line and a 10 MB line; the blank and whitespace-only lines produce none
    expect(bad).toHaveLength(3);
    expect(bad[0]!.detail).toBe('[fake-server] INFO warming up the garbage');
    expect(bad[1]!.detail).toBe('{"method":"item/agentMessage/delta","params":{"threadId":');
    expect(bad[2]!.message).toContain(`(${10 * 1024 * 1024} chars)`);
    expect((bad[2]!.detail as string).length).toBe(1000);
    expect(diagnostics.filter((d) => d.kind === 'invalid-frame')).toEqual([]);
    expect(client.stats).toEqual(ZERO_STATS);
    // the connection lives on
    expect((await client.chatOnce('ECHO after')).finalText).toBe('Echo: after');
  });
});

describe('responses the client did not ask for', () => {
  it('reports a response with an unknown id and still resolves the real one', async () => {
    const client = fake();
    const diagnostics = collect<Diagnostic>(client.diagnostics$);
    await expect(client.request('fake/unknownId')).resolves.toEqual({ ok: true });
    const unmatched = diagnostics.filter((d) => d.kind === 'unmatched-response');
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]!.detail).toEqual({ id: 999999, result: { stray: true } });
    expect(client.stats.pendingRequests).toBe(0);
  });

  it('takes the first of a duplicate response and reports the second', async () => {
    const client = fake();
    const diagnostics = collect<Diagnostic>(client.diagnostics$);
    const result = await client.request('fake/duplicate');
    expect(result).toEqual({ copy: 1 });
    // the duplicate comes right after; wait for it through a follow-up request on the same pipe
    await stats(client);
    const unmatched = diagnostics.filter((d) => d.kind === 'unmatched-response');
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]!.detail).toMatchObject({ result: { copy: 2 } });
  });
});

describe('a request the server never answers', () => {
  it('fails with CodexTimeoutError naming the method; the late answer is dropped without harm', async () => {
    const client = fake([], { requestTimeoutMs: 200 });
    const diagnostics = collect<Diagnostic>(client.diagnostics$);
    // generous for the handshake only: a loaded machine starts node slowly
    await client.initialize({}, { timeoutMs: 30_000 });
    const err = await client.request('fake/slow', { delayMs: 700 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTimeoutError);
    expect((err as CodexTimeoutError).message).toContain("'fake/slow'");
    expect((err as CodexTimeoutError).info).toEqual({ method: 'fake/slow', timeoutMs: 200 });
    expect(client.stats.pendingRequests).toBe(0);

    const late = await firstValueFrom(client.diagnostics$.pipe(filter((d) => d.kind === 'unmatched-response')));
    expect(late.detail).toEqual({ id: expect.any(Number), result: { late: true } });
    expect(diagnostics.filter((d) => d.kind === 'unmatched-response')).toHaveLength(1);
    // the connection works after
    const after = (await client.request('fake/stats', undefined, { timeoutMs: 30_000 })) as { counts: Record<string, number> };
    expect(after.counts['fake/slow']).toBe(1);
    expect(client.stats.pendingRequests).toBe(0);
  });

  it('fails a silent request too, with the per-call timeout', async () => {
    const client = fake([], { requestTimeoutMs: 60_000 });
    await client.initialize();
    const err = await client.request('fake/silent', undefined, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTimeoutError);
    expect((err as CodexTimeoutError).info.method).toBe('fake/silent');
    expect(client.stats.pendingRequests).toBe(0);
  });
});

describe('malformed notifications during a turn', () => {
  it('tolerates item/completed without item, a delta without delta and turn/started without turn', async () => {
    const client = fake();
    const steps: string[] = [];
    const events = await new Promise<string[]>((resolve, reject) => {
      const types: string[] = [];
      client.chatEvents('MALFORMED fine').subscribe({
        next: (e) => {
          types.push(e.type);
          if (e.type === 'step') steps.push(e.step.text ?? '');
          if (e.type === 'completed') expect(e.result.finalText).toBe('Echo: fine');
        },
        error: reject,
        complete: () => resolve(types),
      });
    });
    expect(events[0]).toBe('started');
    expect(events[events.length - 1]).toBe('completed');
    expect(steps).toEqual(['Echo: fine']);
    expect(client.stats.turns).toBe(0);
  });
});

describe('server requests with unusual ids', () => {
  it('answers id 0 and a string id with -32601 under the same id, and the turn goes on', async () => {
    const client = fake();
    const answers: JsonRpcNotification[] = [];
    client.notifications$.pipe(filter((n: JsonRpcNotification) => n.method === 'fake/answer')).subscribe((n) => answers.push(n));

    const result = await client.chatOnce('SREQ');
    expect(result.finalText).toBe('Echo: SREQ');
    const frames = answers.map((a) => (a.params as { frame: Record<string, unknown> }).frame);
    expect(frames).toEqual([
      { id: 0, error: { code: -32601, message: expect.stringContaining('fake/unknownRequest') } },
      { id: 'req-s', error: { code: -32601, message: expect.stringContaining('fake/otherRequest') } },
    ]);
    // and the fake server logged exactly those answers (no double answers)
    const received = (await stats(client)).received.filter((f) => f.method === undefined);
    expect(received.map((f) => f.id)).toEqual([0, 'req-s']);
  });
});
