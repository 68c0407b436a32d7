/**
 * The reconnect storm, against the REAL `codex app-server`: a proxy (spec/support/tcp-proxy.ts)
 * cuts the link every 100–500 ms for `CODEX_RX_STORM_MS` (default 40 s) while 20 chats are in
 * flight (one per thread, each running its next as soon as one settles; `chat`, `chatEvents` and
 * `chatOnce` in turn), with `reconnect: true`, over a Unix socket here (and
 * over TCP in reconnect-storm-tcp.e2e.spec.ts, a file of its own to run in parallel). Then
 * every chat's turn is compared with what the server stored (`thread/turns/list`, read on a link of
 * its own): each completed chat's steps are exactly the stored turn's items, in order; no turn holds
 * two prompts (merged), no item or turn comes twice (duplicated), no completed turn misses an item
 * (lost); at most 10 % of the chats fail. The figures are printed (and written to
 * `CODEX_RX_STORM_REPORT`, when set) for BENCHMARKS/RELIABILITY notes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { startListening } from '../support/listening-server';
import { expectCalm, record, storm, stormRig } from '../support/reconnect-storm';
import { TcpProxy } from '../support/tcp-proxy';

const rig = stormRig();

describe('a reconnect storm: the link cut every 100–500 ms, 20 chats in flight', () => {
  it('over a Unix socket: every completed turn is the server’s, whole, once; at most 10 % fail', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-storm-'));
    try {
      rig.server = await startListening(rig.off, { unix: path.join(dir, 'app-server.sock') });
      rig.proxy = await TcpProxy.startUnix({ path: rig.server.address }, path.join(dir, 'proxy.sock'));
      rig.client = CodexClient.connectUnix({ socketPath: path.join(dir, 'proxy.sock'), reconnect: true });
      const direct = rig.server.address;
      const f = await storm('unix', rig.client, rig.proxy, () => CodexClient.connectUnix({ socketPath: direct }));
      record(f);
      expectCalm(f);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
