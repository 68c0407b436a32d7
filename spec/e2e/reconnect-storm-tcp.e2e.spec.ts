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
import { startListening } from '../support/listening-server';
import { expectCalm, record, storm, stormRig, TOKEN } from '../support/reconnect-storm';
import { TcpProxy } from '../support/tcp-proxy';

const rig = stormRig();

describe('a reconnect storm: the link cut every 100–500 ms, 20 chats in flight', () => {
  it('over TCP (WebSocket): every completed turn is the server’s, whole, once; at most 10 % fail', async () => {
    rig.server = await startListening(rig.off, { ws: true, token: TOKEN });
    rig.proxy = await TcpProxy.start({ host: '127.0.0.1', port: rig.server.port! });
    rig.client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${rig.proxy.port}`, token: TOKEN, reconnect: true });
    const direct = rig.server.address;
    const f = await storm('tcp', rig.client, rig.proxy, () => CodexClient.connectWebSocket({ url: direct, token: TOKEN }));
    record(f);
    expectCalm(f);
  });
});
