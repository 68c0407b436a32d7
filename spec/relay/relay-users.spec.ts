/**
 * Who connected, through the relay to the REAL app-server: several tokens name several users, the
 * upstream factory gets that identity, and a backend that gives each user their own `CODEX_HOME`
 * keeps one user's threads out of another's sight. One shared `CODEX_HOME` (the default upstream)
 * does not: shown first, as the attack it is.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { CodexClient } from '../../src/client';
import { generateRelayToken, startRelay, StdioTransport, type Relay, type RelayConnection } from '../../src/relay';
import { RelayTransport, type WebSocketConstructor } from '../../src/streams/relay-transport';
import { createCodexHome, type CodexHome } from '../../src/testing/codex-home';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(60_000);

const ws = WebSocket as unknown as WebSocketConstructor;
const users = [
  { user: 'ann', token: generateRelayToken() },
  { user: 'bob', token: generateRelayToken() },
];

describe('relay users', () => {
  let off: OfflineCodex;
  const homes = new Map<string, { home: CodexHome; workspace: string }>();
  const relays: Relay[] = [];
  const clients: CodexClient[] = [];

  const connect = (relay: Relay, token: string) => {
    const c = new CodexClient(new RelayTransport({ url: relay.url, token, WebSocket: ws }));
    clients.push(c);
    return c;
  };
  const threadIds = async (c: CodexClient) => (await c.listThreads()).data.map((t) => t.id);

  beforeAll(async () => {
    off = await startOfflineCodex({ features: { shell_snapshot: false } });
    for (const { user } of users) {
      const home = await createCodexHome({ modelUrl: off.model.url, features: { shell_snapshot: false } });
      const workspace = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `relay-${user}-`)));
      homes.set(user, { home, workspace });
    }
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    for (const { home, workspace } of homes.values()) {
      await home.cleanup();
      fs.rmSync(workspace, { recursive: true, force: true });
    }
    await off?.dispose();
  });

  it('(the attack: with one shared CODEX_HOME, bob lists and reads the thread ann started)', async () => {
    const relay = await startRelay({
      token: users,
      allowedOrigins: [],
      upstream: { command: off.command, env: off.env, cwd: off.workspace },
    });
    relays.push(relay);
    const ann = await connect(relay, users[0]!.token).chatOnce('ECHO ann private words');
    const bob = connect(relay, users[1]!.token);
    expect(await threadIds(bob)).toContain(ann.threadId);
  });

  it('gives each user their own CODEX_HOME and workspace: neither sees the other', async () => {
    const seen: { user: string; origin: string | null; hasRequest: boolean }[] = [];
    const relay = await startRelay({
      token: users,
      allowedOrigins: [],
      upstream: (c: RelayConnection) => {
        seen.push({ user: c.identity.user, origin: c.origin, hasRequest: typeof c.request.headers === 'object' });
        const mine = homes.get(c.identity.user)!;
        return new StdioTransport({ command: off.command, env: { ...off.env, ...mine.home.env }, cwd: mine.workspace });
      },
      policy: { roots: (c) => [homes.get(c.identity.user)!.workspace] },
    });
    relays.push(relay);
    const ann = connect(relay, users[0]!.token);
    const bob = connect(relay, users[1]!.token);
    const annTurn = await ann.chatOnce('ECHO ann private words');
    const bobTurn = await bob.chatOnce('ECHO bob private words');
    expect(seen).toEqual([
      { user: 'ann', origin: null, hasRequest: true },
      { user: 'bob', origin: null, hasRequest: true },
    ]);
    expect(await threadIds(ann)).toEqual([annTurn.threadId]);
    expect(await threadIds(bob)).toEqual([bobTurn.threadId]);
    await expect(bob.readThread(annTurn.threadId)).rejects.toMatchObject({ name: 'CodexProtocolError' });
    // each user's thread runs in their own workspace (pinned by the per-user roots)
    const annThread = await ann.readThread(annTurn.threadId);
    expect(annThread.thread.cwd).toBe(homes.get('ann')!.workspace);
  });

  it('takes a verifier that names the user, and refuses what it refuses', async () => {
    const relay = await startRelay({
      token: (t) => (t === users[0]!.token ? { user: 'ann', role: 'admin' } : t === users[1]!.token ? 'bob' : false),
      allowedOrigins: [],
      upstream: { command: off.command, env: off.env, cwd: off.workspace },
    });
    relays.push(relay);
    const opened: string[] = [];
    const sub = relay.events$.subscribe((e) => e.type === 'open' && opened.push(e.user));
    await connect(relay, users[0]!.token).initialize();
    await connect(relay, users[1]!.token).initialize();
    await expect(connect(relay, generateRelayToken()).start()).rejects.toMatchObject({ code: 'auth-failed' });
    sub.unsubscribe();
    expect(opened).toEqual(['ann', 'bob']);
  });
});
