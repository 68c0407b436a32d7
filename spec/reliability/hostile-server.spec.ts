/**
 * A hostile server, as a real child process (`installFaults` on FakeAppServer, spec/support/fake-process.ts): frames nested 5,000
 * deep, lines of hundreds of MB, odd responses, ids beyond 2^53, duplicate request ids. The host
 * never crashes, every request ends at once, the connection lives on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filter } from 'rxjs';
import type { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import type { JsonRpcNotification } from '../../src/protocol/messages';
import { stdioFake as fake } from '../support/fake-process';
import { ZERO_STATS } from '../support/stats';

function diagnosticsOf(client: CodexClient): Diagnostic[] {
  const out: Diagnostic[] = [];
  client.diagnostics$.subscribe((d) => out.push(d));
  return out;
}

const ZERO = ZERO_STATS;

describe('frames nested 5,000 deep', () => {
  it('a malformed item/completed and turn/completed are reported, never thrown; the turn goes on', async () => {
    const client = fake();
    const diagnostics = diagnosticsOf(client);
    const result = await client.chatOnce('DEEP still fine');
    expect(result.finalText).toBe('Echo: still fine');
    const invalid = diagnostics.filter((d) => d.kind === 'invalid-frame');
    expect(invalid.map((d) => d.message)).toEqual([
      expect.stringMatching(/^malformed item\/completed: item: expected \{ type: string \}, got \[\[\[\[\[\[\[\[\[\[\[\[\[…\]/),
      expect.stringMatching(/^malformed turn\/completed: turn: expected \{ id: string, status: string \}, got \[\[\[\[/),
    ]);
    expect(invalid.every((d) => d.message.length < 300)).toBe(true);
    expect(client.stats).toEqual(ZERO);
  });
});

describe('lines over maxFrameBytes', () => {
  it('a 300 MB delta line is discarded as it streams and reported; the turn completes', async () => {
    const client = fake([], { maxFrameBytes: 1024 * 1024 });
    const diagnostics = diagnosticsOf(client);
    const result = await client.chatOnce('HUGE 300 after the flood');
    expect(result.finalText).toBe('Echo: after the flood');
    const oversized = diagnostics.filter((d) => d.kind === 'oversized-frame');
    expect(oversized).toHaveLength(1);
    expect(oversized[0]!.message).toMatch(/inbound frame of 3145\d{5} bytes exceeds maxFrameBytes \(1048576\); discarded/);
    expect(oversized[0]!.detail).toMatch(/^\{"method":"item\/agentMessage\/delta","params":\{"threadId":"thr_1"/);
    expect((oversized[0]!.detail as string).length).toBe(1000);
  }, 120_000);

  it('200 MB without a newline is discarded too, and the next line parses', async () => {
    const client = fake([], { maxFrameBytes: 4 * 1024 * 1024 });
    const diagnostics = diagnosticsOf(client);
    expect((await client.chatOnce('HUGE_NO_NL 200 next')).finalText).toBe('Echo: next');
    expect(diagnostics.filter((d) => d.kind === 'oversized-frame').map((d) => d.message)).toEqual([
      expect.stringMatching(/inbound frame of 2097152\d\d bytes exceeds maxFrameBytes \(4194304\)/),
    ]);
  }, 120_000);

  it('a response over the limit fails its request at once (not after the request timeout)', async () => {
    const client = fake([], { maxFrameBytes: 1024 * 1024, requestTimeoutMs: 600_000 });
    await client.initialize();
    const err = await client.request('fake/huge', { mb: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/^fake\/huge: the response \(52\d{5} bytes\) exceeds maxFrameBytes \(1048576\)$/);
    expect(client.stats.pendingRequests).toBe(0);
    expect((await client.chatOnce('ECHO alive')).finalText).toBe('Echo: alive');
  }, 60_000);
});

describe('odd responses', () => {
  it('a result beside error: null resolves', async () => {
    const client = fake();
    await expect(client.request('fake/errorNull')).resolves.toEqual({ ok: true });
  });

  it('an error that is no error object rejects at once with CodexProtocolError carrying the raw frame', async () => {
    const client = fake([], { requestTimeoutMs: 600_000 });
    const err = (await client.request('fake/badError').catch((e: unknown) => e)) as CodexProtocolError;
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err.message).toBe('fake/badError: the server answered with a malformed error "boom"');
    expect(err.data).toEqual({ id: expect.any(Number), error: 'boom' });
    expect(client.stats.pendingRequests).toBe(0);
  });
});

describe('server request ids', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-ids-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an id beyond 2^53 is answered with exactly that id', async () => {
    const log = path.join(dir, 'in.log');
    const client = fake([`log=${log}`]);
    expect((await client.chatOnce('BIGID')).finalText).toBe('Echo: BIGID');
    const answer = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .find((l) => l.includes('"error"'));
    expect(answer).toMatch(/^\{"id":9007199254740993,"error":\{"code":-32601,/);
  });

  it('two approval requests that share an id are both answered, each with its own decision', async () => {
    // (Without an answer to each, the fake server never completes the turn.)
    const client = fake();
    // Decides later, so that both requests are pending at once.
    client.setApprovalHandler(
      (req) => new Promise((resolve) => setTimeout(() => resolve(req.itemId === 'dup_a' ? 'accept' : 'decline'), 20)),
    );
    const answers: unknown[] = [];
    client.notifications$
      .pipe(filter((n: JsonRpcNotification) => n.method === 'fake/answer'))
      .subscribe((n) => answers.push((n.params as { frame: unknown }).frame));
    expect((await client.chatOnce('DUP_APPROVAL')).finalText).toBe('Echo: DUP_APPROVAL');
    expect(answers).toEqual(
      expect.arrayContaining([
        { id: 5, result: { decision: 'accept' } },
        { id: 5, result: { decision: 'decline' } },
      ]),
    );
    expect(answers).toHaveLength(2);
    expect(client.stats).toEqual(ZERO);
  });
});
