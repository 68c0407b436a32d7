/**
 * End-to-end: the pinned server reads W3C trace context from the request envelope (`trace`, its
 * `JSONRPCRequest.trace`). A malformed `trace` makes it drop the request (so the field is typed
 * there, not ignored as unknown fields are); a well-formed one is answered, on requests and turns.
 */
import * as dc from 'node:diagnostics_channel';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30000);
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace context against the real server', () => {
  let off: OfflineCodex;
  beforeAll(async () => {
    off = await startOfflineCodex();
  });
  afterAll(async () => {
    await off?.dispose();
  });

  it('answers requests and runs turns that carry trace context', async () => {
    const client = off.client();
    const out: Array<{ method?: string; trace?: unknown }> = [];
    const tap = (m: unknown) => out.push((m as { frame: { method?: string; trace?: unknown } }).frame);
    dc.subscribe('codex-rx:frame:out', tap);
    try {
      await expect(client.request('thread/list', {}, { trace: { traceparent, tracestate: 'codex-rx=1' } })).resolves.toBeTruthy();
      const r = await client.chatOnce('ECHO traced', { trace: { traceparent }, threadConfig: { cwd: off.workspace } });
      expect(r.finalText).toBe('Echo: traced');
      expect(out.filter((f) => f.trace).map((f) => f.method)).toEqual(['thread/list', 'turn/start']);
      // The type matters to the server: a trace that is no object is dropped, never answered.
      await expect(client.request('thread/list', {}, { trace: 5 as never, timeoutMs: 1500 })).rejects.toMatchObject({
        name: 'CodexTimeoutError',
      });
    } finally {
      dc.unsubscribe('codex-rx:frame:out', tap);
      await client.close();
    }
  });
});
