/**
 * The relay's figures for RELIABILITY.md (issue 20): a relay with its default bounds, in the
 * measured process, and a hostile browser in a process of its own (so that the peak RSS is the
 * relay's alone), against a stand-in app-server.
 *
 *   relay-early-flood   the browser sends 64 messages of 16 MiB before its app-server is ready
 *   relay-unread        the browser stops reading while its app-server streams 64 KiB deltas
 */
import { spawn } from 'node:child_process';
import type * as net from 'node:net';
import { Observable, Subject } from 'rxjs';
import WebSocket from 'ws';
import type { Diagnostic } from '../src/models';
import { generateRelayToken, startRelay } from '../src/relay';
import { RELAY_PROTOCOL, RELAY_TOKEN_PREFIX } from '../src/relay/protocol';
import type { Transport } from '../src/streams/transport';

/** An app-server stand-in: ready when told (or never), floods deltas when asked. */
class StandIn implements Transport {
  private readonly inbound = new Subject<unknown>();
  readonly messages$: Observable<unknown> = this.inbound.asObservable();
  readonly diagnostics$ = new Subject<Diagnostic>().asObservable();
  closed = false;
  sentBytes = 0;
  /** Delta frames it streamed. */
  frames = 0;

  constructor(private readonly ready: boolean) {}

  start(): Promise<void> {
    if (!this.ready) return new Promise(() => undefined);
    setImmediate(() => this.flood());
    return Promise.resolve();
  }
  send(text: string): void {
    this.sentBytes += text.length;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.inbound.complete();
  }
  /** 64 KiB deltas, 16 a macrotask, until closed (at most 4 GiB). */
  private flood(): void {
    const frame = { method: 'item/agentMessage/delta', params: { threadId: 't', turnId: 'u', itemId: 'i', delta: 'x'.repeat(65_536) } };
    let n = 0;
    const batch = () => {
      for (let i = 0; i < 16 && !this.closed; i++, n++, this.frames++) this.inbound.next(frame);
      if (!this.closed && n < 65_536) setImmediate(batch);
    };
    batch();
  }
}

/** Starts one attacker process against `url`: `report` resolves with what it printed, `kill` ends it. */
function attacker(kind: string, url: string, token: string, self: string) {
  const child = spawn(process.execPath, [self, 'attack', kind, url, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const report = new Promise<Record<string, number | string>>((resolve, reject) =>
    child.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL'
        ? resolve(out.trim() ? JSON.parse(out.trim().split('\n').pop()!) : {})
        : reject(new Error(`attacker exited ${code}`)),
    ),
  );
  return { report, kill: () => child.kill('SIGKILL') };
}

async function underAttack(kind: string, ready: boolean, self: string): Promise<Record<string, number | string>> {
  const token = generateRelayToken();
  let upstream: StandIn | null = null;
  const relay = await startRelay({
    token,
    allowedOrigins: [],
    upstream: () => (upstream = new StandIn(ready)),
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    relay.events$.subscribe((e) => e.type === 'closed' && resolve(e));
  });
  const t0 = performance.now();
  const browser = attacker(kind, relay.url, token, self);
  const end = await closed;
  const ms = Math.round(performance.now() - t0);
  // A browser that does not read never sees the end: it is told by a signal.
  if (kind === 'unread') browser.kill();
  const seen = await browser.report;
  await relay.close();
  const up = upstream as StandIn | null;
  return {
    'relay closed it': `${end.code} (${end.reason})`,
    ...seen,
    'MB it sent upstream': Math.round((up?.sentBytes ?? 0) / 2 ** 20),
    'MB streamed to it': Math.round(((up?.frames ?? 0) * 65_536) / 2 ** 20),
    'dropped after (ms)': ms,
  };
}

/** The relay faults, each run in a process of its own by bench/faults.ts. */
export function relayFaults(self: string): Record<string, () => Promise<Record<string, number | string>>> {
  return {
    'relay-early-flood': () => underAttack('early-flood', false, self),
    'relay-unread': () => underAttack('unread', true, self),
  };
}

/** The hostile browser (`faults.js attack KIND URL TOKEN`): prints what it managed. */
export async function attack(kind: string, url: string, token: string): Promise<void> {
  const ws = new WebSocket(url, [RELAY_PROTOCOL, RELAY_TOKEN_PREFIX + token], { maxPayload: 0 });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve) => ws.once('open', resolve));
  if (kind === 'early-flood') {
    // Each message just under the relay's 16 MiB limit; sent as fast as the socket takes them.
    const message = JSON.stringify({ id: 1, method: 'thread/list', params: { pad: 'x'.repeat(16 * 2 ** 20 - 100) } });
    let sent = 0;
    for (; sent < 64 && ws.readyState === WebSocket.OPEN; sent++) {
      await new Promise<void>((resolve) => ws.send(message, () => resolve()));
    }
    const code = await closed;
    process.stdout.write(JSON.stringify({ 'messages sent': sent, 'browser saw close': code }) + '\n');
  } else {
    await new Promise((resolve) => ws.once('message', resolve)); // ready
    (ws as unknown as { _socket: net.Socket })._socket.pause(); // stops reading, until the relay process kills it
    await new Promise(() => setInterval(() => undefined, 1_000));
  }
}
