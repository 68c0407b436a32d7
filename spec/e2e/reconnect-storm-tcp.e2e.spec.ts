/**
 * The reconnect storm, against the REAL `codex app-server`: a proxy (spec/support/tcp-proxy.ts)
 * cuts the link every 100–500 ms for `CODEX_RX_STORM_MS` (default 40 s) while 20 chats are in
 * flight (one per thread, each running its next as soon as one settles; `chat`, `chatEvents` and
 * `chatOnce` in turn), with `reconnect: true`, over TCP (WebSocket) here (and
 * over a Unix socket in reconnect-storm-unix.e2e.spec.ts, a file of its own to run in parallel). Then
 * every chat's turn is compared with what the server stored (`thread/turns/list`, read on a link of
 * its own): each completed chat's steps are exactly the stored turn's items, in order; no turn holds
 * two prompts (merged), no item or turn comes twice (duplicated), no completed turn misses an item
 * (lost); at most 10 % of the chats fail. The figures are printed (and written to
 * `CODEX_RX_STORM_REPORT`, when set) for BENCHMARKS/RELIABILITY notes.
 */
import { CodexClient } from '../../src/client';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { startListening, type ListeningServer } from '../support/listening-server';
import { expectCalm, record, storm, STORM_TIMEOUT_MS, TOKEN } from '../support/reconnect-storm';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(STORM_TIMEOUT_MS);

let off: OfflineCodex;
let server: ListeningServer | undefined;
let proxy: TcpProxy | undefined;
let client: CodexClient | undefined;
beforeAll(async () => {
  off = await startOfflineCodex({ features: { shell_snapshot: false } });
});
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await proxy?.close();
  await server?.stop();
  client = proxy = server = undefined;
});
afterAll(() => off?.dispose());

describe('a reconnect storm: the link cut every 100–500 ms, 20 chats in flight', () => {
  it('over TCP (WebSocket): every completed turn is the server’s, whole, once; at most 10 % fail', async () => {
    server = await startListening(off, { ws: true, token: TOKEN });
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port! });
    client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${proxy.port}`, token: TOKEN, reconnect: true });
    const direct = server.address;
    const f = await storm('tcp', client, proxy, () => CodexClient.connectWebSocket({ url: direct, token: TOKEN }));
    record(f);
    expectCalm(f);
  });
});
