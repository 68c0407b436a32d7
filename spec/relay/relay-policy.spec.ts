/**
 * The relay's default policy against the REAL app-server, tried as an attacker with a valid token
 * would: every host-level call is refused before it goes upstream (the files and the config on the
 * host show it), and the thread settings the backend did not allow cannot be had. The app-server's
 * own config here asks for approvals (`on-request`), as a developer's might: the relay pins `never`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Subscription } from 'rxjs';
import WebSocket from 'ws';
import { CodexClient } from '../../src/client';
import { generateRelayToken, RELAY_REFUSED_CODE, startRelay, StdioTransport, type Relay, type RelayEvent } from '../../src/relay';
import { RelayTransport, type WebSocketConstructor } from '../../src/streams/relay-transport';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(60_000);

const ws = WebSocket as unknown as WebSocketConstructor;

describe('the relay default policy, over the real app-server', () => {
  let off: OfflineCodex;
  let relay: Relay;
  let outside: string;
  let client: CodexClient;
  const token = generateRelayToken();
  const events: RelayEvent[] = [];
  const subs = new Subscription();

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'relay-host-')));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'host secret\n');
    relay = await startRelay({
      token,
      allowedOrigins: [],
      upstream: () => new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace }),
      policy: { roots: [off.workspace] },
    });
    subs.add(relay.events$.subscribe((e) => events.push(e)));
    client = new CodexClient(new RelayTransport({ url: relay.url, token, WebSocket: ws }), { approvalMode: 'manual' });
    await client.initialize();
  });

  afterAll(async () => {
    await client?.close();
    await relay?.close();
    subs.unsubscribe();
    await off?.dispose();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const refusal = (method: string) =>
    expect.objectContaining({
      name: 'CodexProtocolError',
      code: RELAY_REFUSED_CODE,
      message: expect.stringContaining(`refused '${method}'`),
    });

  it('refuses a command outside any turn, and runs nothing', async () => {
    const marker = path.join(outside, 'exec.txt');
    await expect(
      client.request('command/exec', { command: ['touch', marker], sandboxPolicy: { type: 'dangerFullAccess' } }),
    ).rejects.toEqual(refusal('command/exec'));
    await expect(client.request('thread/shellCommand', { threadId: 'x', command: `touch ${marker}` })).rejects.toEqual(
      refusal('thread/shellCommand'),
    );
    expect(fs.existsSync(marker)).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: 'denied', user: 'default', method: 'command/exec' }));
  });

  it('(the attack itself: a relay whose policy allows everything runs the command on the host)', async () => {
    const open = await startRelay({
      token,
      allowedOrigins: [],
      upstream: () => new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace }),
      policy: () => ({ action: 'allow' }),
    });
    const c = new CodexClient(new RelayTransport({ url: open.url, token, WebSocket: ws }));
    try {
      const marker = path.join(outside, 'allowed.txt');
      await c.request('command/exec', { command: ['touch', marker], sandboxPolicy: { type: 'dangerFullAccess' } });
      expect(fs.existsSync(marker)).toBe(true);
    } finally {
      await c.close();
      await open.close();
    }
  });

  it('refuses reading and writing host files', async () => {
    await expect(client.request('fs/readFile', { path: path.join(outside, 'secret.txt') })).rejects.toEqual(refusal('fs/readFile'));
    await expect(client.request('fs/readFile', { path: '/etc/passwd' })).rejects.toEqual(refusal('fs/readFile'));
    const written = path.join(outside, 'written.txt');
    await expect(client.request('fs/writeFile', { path: written, dataBase64: 'eA==' })).rejects.toEqual(refusal('fs/writeFile'));
    expect(fs.existsSync(written)).toBe(false);
  });

  it('refuses config changes: config.toml stays as it was', async () => {
    const config = path.join(off.home.env.CODEX_HOME!, 'config.toml');
    const before = fs.readFileSync(config, 'utf8');
    await expect(
      client.request('config/value/write', { keyPath: 'sandbox_mode', value: 'danger-full-access', mergeStrategy: 'replace' }),
    ).rejects.toEqual(refusal('config/value/write'));
    await expect(client.request('config/batchWrite', { edits: [] })).rejects.toEqual(refusal('config/batchWrite'));
    await expect(client.request('config/read', {})).rejects.toEqual(refusal('config/read'));
    expect(fs.readFileSync(config, 'utf8')).toBe(before);
  });

  it('refuses a thread with a cwd, sandbox or approval policy the backend did not allow', async () => {
    await expect(client.startThread({ cwd: '/' })).rejects.toEqual(refusal('thread/start'));
    await expect(client.startThread({ cwd: outside })).rejects.toEqual(refusal('thread/start'));
    await expect(client.startThread({ sandbox: 'danger-full-access' })).rejects.toEqual(refusal('thread/start'));
    await expect(client.startThread({ approvalPolicy: 'on-request' })).rejects.toEqual(refusal('thread/start'));
    await expect(client.startThread({ config: { sandbox_mode: 'danger-full-access' } })).rejects.toEqual(refusal('thread/start'));
  });

  it('pins the settings of a thread whose browser chose none, whatever the host config says', async () => {
    const started = await client.request('thread/start', {});
    expect(started.cwd).toBe(off.workspace);
    expect(started.approvalPolicy).toBe('never');
    expect(started.sandbox).toMatchObject({ type: 'readOnly' });
  });

  it('a turn cannot escape its sandbox: no approval is asked, nothing is written outside', async () => {
    const asked: unknown[] = [];
    subs.add(client.approvalRequests$.subscribe((r) => asked.push(r)));
    const thread = await client.startThread();
    const escalated = path.join(outside, 'escalated.txt');
    const sandboxed = path.join(outside, 'sandboxed.txt');
    const first = await thread.chatOnce(`RUN echo pwned > ${escalated}`);
    expect(first.finalText).toMatch(/approval policy is Never; reject command/);
    const second = await thread.chatOnce(`EXEC echo pwned > ${sandboxed}`);
    expect(second.finalText).toMatch(/sandboxed\.txt: Read-only file system/);
    expect(asked).toEqual([]);
    expect(fs.existsSync(escalated)).toBe(false);
    expect(fs.existsSync(sandboxed)).toBe(false);
    // and a turn cannot widen it either
    const turn = client.request('turn/start', {
      threadId: thread.threadId,
      input: [{ type: 'text', text: 'ECHO hi', text_elements: [] }],
      sandboxPolicy: { type: 'dangerFullAccess' },
    });
    await expect(turn).rejects.toEqual(refusal('turn/start'));
  });

  it('refuses input that names a host file outside the roots', async () => {
    const thread = await client.startThread();
    const turn = client.chatOnce([{ type: 'localImage', path: path.join(outside, 'secret.txt') }], { threadId: thread.threadId });
    await expect(turn).rejects.toEqual(refusal('turn/start'));
  });

  it('answers a frame that is not JSON with a parse error, and the connection goes on', async () => {
    const raw = new WebSocket(relay.url, ['codex-rx.relay.v1', `codex-rx.token.${token}`]);
    await new Promise((resolve) => raw.once('message', resolve)); // ready
    const answer = new Promise<string>((resolve) => raw.once('message', (d) => resolve(d.toString())));
    raw.send('{"id":1,"method":');
    expect(JSON.parse(await answer)).toMatchObject({ id: null, error: { code: -32700 } });
    raw.close();
    expect(await client.listModels()).toBeDefined();
  });
});
