/**
 * End-to-end: threads placed on remote environments (experimental API), against the REAL
 * `codex app-server` and two REAL `codex exec-server`s, each in a workspace of its own and with a
 * capability token of its own. A command's marker file shows where it ran.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';
import type { Diagnostic, EnvironmentEvent, TurnEvent } from '../../src/models';
import type { StdioTransport } from '../../src/streams/stdio';
import { startRecording } from '../../src/testing/recording';
import { startOfflineCodex, type OfflineCodex, type OfflineExecServer } from '../../src/testing/real-server';
import { startListening } from '../support/listening-server';
import { TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(120_000);

let off: OfflineCodex;
let a: OfflineExecServer;
let b: OfflineExecServer;
const clients: CodexClient[] = [];

beforeAll(async () => {
  // danger-full-access: EXEC writes its marker without asking.
  off = await startOfflineCodex({
    execServers: 2,
    execServerTokens: true,
    sandbox: 'danger-full-access',
    features: { shell_snapshot: false },
  });
  [a, b] = off.execServers as [OfflineExecServer, OfflineExecServer];
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  for (const e of off.execServers) if (!e.running) await e.restart();
});
afterAll(() => off?.dispose());

/** A started client with both environments added; what it reported and recorded is kept for the token check. */
async function placedClient(extra: Parameters<OfflineCodex['client']>[0] = {}) {
  const client = off.client({ experimentalApi: true, ...extra });
  clients.push(client);
  const diagnostics: Diagnostic[] = [];
  client.diagnostics$.subscribe((d) => diagnostics.push(d));
  const recorder = startRecording(client);
  await client.start();
  for (const e of [a, b]) await client.addEnvironment({ id: e.id, url: e.url, token: e.token! });
  return { client, diagnostics, recorder };
}

const on = (e: OfflineExecServer) => [{ environmentId: e.id, cwd: e.workspace }];
const exists = (dir: string, file: string) => fs.existsSync(path.join(dir, file));
/** The text of a marker file: `$PPID` of the shell, i.e. the process that ran the command. */
const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').trim();

describe('placement', () => {
  it('each thread runs its commands on its own exec-server (two at once), never in the app-server cwd', async () => {
    const { client } = await placedClient();
    expect(await client.environmentStatus(a.id)).toMatchObject({ status: expect.stringMatching(/ready|pending/) });
    expect((await client.environmentInfo(a.id)).cwd).toBe(`file://${a.workspace}`);
    const ta = await client.startThread({ environments: on(a) });
    // `chat`'s threadConfig places the thread it starts.
    const [ra, rb] = await Promise.all([
      ta.chatOnce('EXEC echo $PPID > marker-a.txt'),
      lastValueFrom(client.chat('EXEC echo $PPID > marker-b.txt', { threadConfig: { environments: on(b) } }).pipe(toArray())),
    ]);
    expect(ra.finalText).toMatch(/^Command finished/);
    expect(rb.length).toBeGreaterThan(0);
    expect(exists(a.workspace, 'marker-a.txt')).toBe(true);
    expect(exists(b.workspace, 'marker-b.txt')).toBe(true);
    for (const f of ['marker-a.txt', 'marker-b.txt']) expect(exists(off.workspace, f)).toBe(false);
    expect(exists(b.workspace, 'marker-a.txt')).toBe(false);
    expect(exists(a.workspace, 'marker-b.txt')).toBe(false);
    // The shell's parent is the exec-server's process tree, not the app-server's.
    expect(read(a.workspace, 'marker-a.txt')).not.toBe(read(b.workspace, 'marker-b.txt'));
  });

  it('a per-turn override moves the thread (this and later turns)', async () => {
    const { client } = await placedClient();
    const t = await client.startThread({ environments: on(a) });
    await t.chatOnce('EXEC touch moved-1.txt', { turnOverrides: { environments: on(b) } });
    await t.chatOnce('EXEC touch moved-2.txt');
    expect(exists(b.workspace, 'moved-1.txt') && exists(b.workspace, 'moved-2.txt')).toBe(true);
    expect(exists(a.workspace, 'moved-1.txt') || exists(a.workspace, 'moved-2.txt')).toBe(false);
  });
});

describe('faults', () => {
  it('a killed exec-server fails the next turn fast (typed error, diagnostic), and a restarted one is used again', async () => {
    const { client, diagnostics } = await placedClient({ environmentProbeMs: 200 });
    const envEvents: EnvironmentEvent[] = [];
    client.environmentEvents$.subscribe((e) => envEvents.push(e));
    const t = await client.startThread({ environments: on(a) });
    await t.chatOnce('EXEC touch before-kill.txt');
    expect(exists(a.workspace, 'before-kill.txt')).toBe(true);

    await a.kill();
    const t0 = Date.now();
    const err = await t.chatOnce('EXEC touch during-kill.txt').catch((e: unknown) => e);
    const tookMs = Date.now() - t0;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'environment-disconnected', environmentId: a.id });
    // Not the server's silent 45 s recovery wait (generous: the machine is shared).
    expect(tookMs).toBeLessThan(30_000);
    expect(diagnostics.some((d) => d.kind === 'environment' && (d.error as CodexTransportError)?.environmentId === a.id)).toBe(true);

    await a.restart();
    const events: TurnEvent[] = await lastValueFrom(t.chatEvents('EXEC touch after-restart.txt').pipe(toArray()));
    expect(events[events.length - 1]!.type).toBe('completed');
    expect(exists(a.workspace, 'after-restart.txt')).toBe(true);
    expect(exists(off.workspace, 'after-restart.txt')).toBe(false);
    // The turn that failed fast never ran its command.
    expect(exists(a.workspace, 'during-kill.txt') || exists(off.workspace, 'during-kill.txt')).toBe(false);
    expect(envEvents.every((e) => e.threadId === t.threadId && e.environmentId === a.id)).toBe(true);
  });
});

describe('faults mid-turn', () => {
  it('an exec-server killed while its command runs: the running turn gets an environment event at once, and a diagnostic', async () => {
    const { client, diagnostics } = await placedClient({ environmentProbeMs: 200 });
    const t = await client.startThread({ environments: on(a) });
    const commandStarted = firstValueFrom(
      client.notifications$.pipe(
        filter((n) => n.method === 'item/started' && (n.params as { item: { type: string } }).item.type === 'commandExecution'),
      ),
    );
    const events = lastValueFrom(t.chatEvents('EXEC sleep 5; touch too-late.txt').pipe(toArray()));
    await commandStarted;
    await a.kill();
    const seen = await events;
    const env = seen.findIndex((e) => e.type === 'environment');
    // The server itself says nothing of it during the turn (0.171.0): the client's status reads do.
    expect(seen[env]).toMatchObject({ type: 'environment', threadId: t.threadId, environmentId: a.id, connected: false });
    expect(env).toBeLessThan(seen.length - 1);
    expect(seen[seen.length - 1]!.type).toBe('completed');
    expect(diagnostics.filter((d) => d.kind === 'environment')).toHaveLength(1);
    expect(exists(a.workspace, 'too-late.txt') || exists(off.workspace, 'too-late.txt')).toBe(false);
  });
});

describe('placement that survives', () => {
  it('a stdio restart of the app-server keeps every thread on its environment (added again, placed again)', async () => {
    const { client } = await placedClient({ restart: true });
    const ta = await client.startThread({ environments: on(a) });
    const tb = await client.startThread({ environments: on(b) });
    await Promise.all([ta.chatOnce('EXEC touch pre-a.txt'), tb.chatOnce('EXEC touch pre-b.txt')]);
    const pid = (client as unknown as { connection: { transport: StdioTransport } }).connection.transport.pid!;
    process.kill(pid, 'SIGKILL');
    await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'reconnecting')));

    await ta.chatOnce('EXEC touch post-a.txt');
    await tb.chatOnce('EXEC touch post-b.txt');
    expect(exists(a.workspace, 'post-a.txt')).toBe(true);
    expect(exists(b.workspace, 'post-b.txt')).toBe(true);
    for (const f of ['post-a.txt', 'post-b.txt']) expect(exists(off.workspace, f)).toBe(false);
  });
});

describe('placement across a WebSocket reconnect (the app-server runs on)', () => {
  it('a cut link is redialed; the thread still runs on its exec-server, and the environment is not replaced', async () => {
    const server = await startListening(off, { ws: true });
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port! });
    try {
      const client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${proxy.port}`, reconnect: true, experimentalApi: true });
      clients.push(client);
      await client.addEnvironment({ id: a.id, url: a.url, token: a.token! });
      const t = await client.startThread({ environments: on(a) });
      await t.chatOnce('EXEC touch ws-before.txt');
      const sent: string[] = [];
      client.framesOut$.subscribe((f) => 'method' in f && sent.push(f.method));
      proxy.cut();
      await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'reconnecting')));
      await t.chatOnce('EXEC touch ws-after.txt');
      expect(exists(a.workspace, 'ws-after.txt')).toBe(true);
      expect(exists(off.workspace, 'ws-after.txt')).toBe(false);
      // The server kept the environment (its status said so): re-adding it would have replaced a live one.
      expect(sent).toContain('environment/status');
      expect(sent).not.toContain('environment/add');
      expect(sent).toContain('thread/settings/update');
    } finally {
      await proxy.close();
      await server.stop();
    }
  });
});

describe('secrets', () => {
  it('tokens appear in no error, diagnostic or recording', async () => {
    const { client, diagnostics, recorder } = await placedClient();
    const errors: unknown[] = [];
    // A token the server refuses (not loopback, not wss): its error must not carry it.
    const secret = 'codex-rx-secret-token-0123456789';
    errors.push(await client.addEnvironment({ id: 'far', url: 'ws://192.0.2.1:1', token: secret }).catch((e: unknown) => e));
    errors.push(await client.addEnvironment({ id: 'local', url: a.url, token: secret }).catch((e: unknown) => e));
    errors.push(await client.addEnvironment({ id: 'bad', url: `http://x:${secret}@h`, token: secret }).catch((e: unknown) => e));
    const t = await client.startThread({ environments: on(a) });
    await t.chatOnce('EXEC true');
    await a.kill();
    errors.push(await t.chatOnce('EXEC true', { inactivityTimeoutMs: 60_000 }).catch((e: unknown) => e));
    const recording = recorder.stop();
    expect(errors.filter((e) => e instanceof Error)).toHaveLength(errors.length);
    const said = JSON.stringify({
      errors: errors.map((e) => ({ message: (e as Error).message, stack: (e as Error).stack, ...(e as object) })),
      diagnostics,
      recording,
    });
    // The recording holds the environment/add frames, scrubbed.
    expect(said).toContain('environment/add');
    for (const token of [a.token!, b.token!, secret]) expect(said).not.toContain(token);
  });
});
