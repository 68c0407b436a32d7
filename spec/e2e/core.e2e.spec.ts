/**
 * End-to-end: the CodexClient facade against the REAL `codex app-server` (the pinned version, or the one `npm run test:latest` installs) and the scripted model.
 *
 * What the real server does here (found while writing this file):
 * - `initialize` answers `{userAgent, codexHome, platformFamily, platformOs}`; the user agent ends with
 *   "(<clientInfo.name>; <clientInfo.version>)", so it shows what the client sent.
 * - `model/list` lists exactly the configured "mock-model" (isDefault, nextCursor null).
 * - A thread is not in `thread/list` until it has a turn (its rollout file is written then); `thread/name/set`
 *   on such a thread still succeeds. So the listing tests run an `ECHO` turn first.
 * - `thread/archive` answers `{}`; the archived thread is listed with `archived: true` (its path moves to
 *   `archived_sessions/`); `thread/unarchive` answers `{thread}`.
 * - A fork copies the turns and the name of its source.
 * - `command/exec` runs even under the read-only sandbox: `{exitCode: 0, stdout: 'hi\n', stderr: ''}`.
 * - An unknown method gets JSON-RPC error -32600 ("Invalid request: unknown variant ...").
 * - `config/value/write` of `model_verbosity` answers `{status: 'ok', version, filePath: <home>/config.toml}`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { CodexProtocolError, CodexTransportError } from '../../src/errors';
import { StdioTransport } from '../../src/streams/stdio';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(60_000);

type Frame = { id?: number | string; method?: string; params?: any };

describe('CodexClient against the real app-server (stdio)', () => {
  let off: OfflineCodex;
  let transport: StdioTransport;
  let client: CodexClient;
  /** Every frame the client wrote to the server's stdin, parsed. */
  const sent: Frame[] = [];

  beforeAll(async () => {
    off = await startOfflineCodex();
    transport = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
    const send = transport.send.bind(transport);
    transport.send = (message: string) => {
      sent.push(JSON.parse(message));
      return send(message);
    };
    client = new CodexClient(transport);
  });

  afterAll(async () => {
    await client?.close();
    await off?.dispose();
  });

  const threadIds = (list: { data: Array<{ id: string }> }) => list.data.map((t) => t.id);

  it('initialize(): the server info, cached, with one initialize and one initialized on the wire', async () => {
    const [first, concurrent] = await Promise.all([client.initialize(), client.initialize()]);
    const again = await client.initialize();
    expect(concurrent).toBe(first);
    expect(again).toBe(first);

    expect(typeof first.serverInfo?.userAgent).toBe('string');
    // The version of the server that runs (the pinned one, or the one `npm run test:latest` installed).
    expect(first.serverInfo?.userAgent).toContain(`/${off.serverVersion} (`);
    expect(first.serverVersion).toBe(off.serverVersion);
    expect(first.serverInfo?.userAgent).toContain('(codex-rx; 0.1.0)');
    expect(first.raw).toMatchObject({ codexHome: off.home.dir, platformFamily: 'unix' });
    expect(first.serverInfo?.codexHome).toBe(off.home.dir);

    expect(sent.map((f) => f.method)).toEqual(['initialize', 'initialized']);
    expect(sent[0]).toMatchObject({ method: 'initialize', params: { clientInfo: { name: 'codex-rx', version: '0.1.0' } } });
    expect(sent[0]!.id).toBeDefined();
    expect(sent[1]!.id).toBeUndefined();
  });

  it('listModels(): the configured mock model', async () => {
    const models = await client.listModels();
    expect(models.nextCursor).toBeNull();
    expect(models.data.map((m) => m.id)).toEqual(['mock-model']);
    expect(models.data[0]).toMatchObject({ model: 'mock-model', isDefault: true, hidden: false });
    // The handshake stays the only initialize on the wire.
    expect(sent.filter((f) => f.method === 'initialize')).toHaveLength(1);
  });

  describe('threads', () => {
    let threadId: string;

    it('startThread(): a handle on a new thread, not listed before its first turn', async () => {
      const handle = await client.startThread({ cwd: off.workspace });
      threadId = handle.threadId;
      expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
      expect(handle.defaults).toEqual({ cwd: off.workspace });
      const start = sent.filter((f) => f.method === 'thread/start').at(-1);
      expect(start?.params).toEqual({ cwd: off.workspace });
      // The server lists a thread only once it has a rollout, i.e. after a turn.
      expect(threadIds(await client.listThreads())).not.toContain(threadId);
    });

    it('setThreadName() + listThreads(): the thread is listed with its name (after a turn)', async () => {
      const result = await client.chatOnce('ECHO x', { threadId });
      expect(result).toMatchObject({ threadId, finalText: 'Echo: x' });
      await client.setThreadName(threadId, 'core e2e thread');
      const listed = await client.listThreads();
      const entry = listed.data.find((t) => t.id === threadId);
      expect(entry).toMatchObject({ id: threadId, name: 'core e2e thread', preview: 'ECHO x', cwd: off.workspace, model: 'mock-model' });
    });

    it('readThread(): includes the turn with its items', async () => {
      const read = await client.readThread(threadId, { includeTurns: true });
      expect(read.thread.id).toBe(threadId);
      expect(read.thread.name).toBe('core e2e thread');
      expect(read.thread.turns).toHaveLength(1);
      const turn = read.thread.turns[0]!;
      expect(turn.status).toBe('completed');
      expect(turn.items.map((i) => i.type)).toEqual(['userMessage', 'agentMessage']);
      expect(turn.items[1]).toMatchObject({ type: 'agentMessage', text: 'Echo: x' });
    });

    it('forkThread(): a new thread with the same history', async () => {
      const fork = await client.forkThread(threadId);
      expect(fork.threadId).not.toBe(threadId);
      const read = await client.readThread(fork.threadId, { includeTurns: true });
      expect(read.thread.id).toBe(fork.threadId);
      const texts = read.thread.turns.flatMap((t) => t.items).filter((i) => i.type === 'agentMessage');
      expect(texts).toEqual([expect.objectContaining({ text: 'Echo: x' })]);
      expect(threadIds(await client.listThreads())).toEqual(expect.arrayContaining([threadId, fork.threadId]));
    });

    it('archiveThread() / unarchiveThread(): moves the thread between the two listings', async () => {
      expect(await client.archiveThread(threadId)).toEqual({});
      expect(threadIds(await client.listThreads())).not.toContain(threadId);
      const archived = await client.listThreads({ archived: true });
      expect(threadIds(archived)).toContain(threadId);
      expect(archived.data.find((t) => t.id === threadId)?.path).toContain(`${path.sep}archived_sessions${path.sep}`);

      const back = await client.unarchiveThread(threadId);
      expect(back.thread.id).toBe(threadId);
      expect(threadIds(await client.listThreads())).toContain(threadId);
      expect(threadIds(await client.listThreads({ archived: true }))).not.toContain(threadId);
    });

    it("request('thread/start', {cwd}): the typed raw request", async () => {
      const res = await client.request('thread/start', { cwd: off.workspace });
      expect(typeof res.thread.id).toBe('string');
      expect(res.thread.id).not.toBe(threadId);
      expect(res).toMatchObject({ cwd: off.workspace, model: 'mock-model', modelProvider: 'mock' });
    });
  });

  describe('config', () => {
    it('readConfig(): the throwaway home config', async () => {
      const read = await client.readConfig();
      expect(read.config).toMatchObject({ model: 'mock-model', model_provider: 'mock', sandbox_mode: 'read-only', model_verbosity: null });
    });

    it('writeConfigValue() then readConfig(): the value is written to config.toml and read back', async () => {
      const written = await client.writeConfigValue({ keyPath: 'model_verbosity', value: 'low', mergeStrategy: 'replace' });
      const configFile = path.join(off.home.dir, 'config.toml');
      expect(written).toMatchObject({ status: 'ok', filePath: configFile });
      expect(written.version).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(sent.filter((f) => f.method === 'config/value/write').at(-1)?.params).toEqual({
        keyPath: 'model_verbosity',
        value: 'low',
        mergeStrategy: 'replace',
      });
      expect(fs.readFileSync(configFile, 'utf8')).toMatch(/^model_verbosity = "low"$/m);
      expect((await client.readConfig()).config.model_verbosity).toBe('low');
    });

    it('readConfigRequirements(): resolves (no requirements here)', async () => {
      const req = await client.readConfigRequirements();
      expect(req.requirements).toBeNull();
    });
  });

  it("execCommand(['echo','hi']): runs in the cwd and returns its output", async () => {
    const res = await client.execCommand(['echo', 'hi'], { cwd: off.workspace });
    expect(res).toEqual({ exitCode: 0, stdout: 'hi\n', stderr: '' });
    const res2 = await client.execCommand(['pwd'], { cwd: off.workspace });
    expect(res2.stdout.trim()).toBe(off.workspace);
  });

  it('an unknown method rejects with CodexProtocolError carrying the server code', async () => {
    const err = await client.request('no/such/method').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as CodexProtocolError).code).toBe(-32600);
    expect((err as CodexProtocolError).message).toContain('no/such/method');
    // The connection is still usable.
    expect((await client.listModels()).data).toHaveLength(1);
  });

  it('close(): pending-free shutdown; later calls reject with CodexTransportError; the process is gone', async () => {
    const pid = transport.pid;
    expect(typeof pid).toBe('number');
    expect(() => process.kill(pid!, 0)).not.toThrow();

    await client.close();
    await expect(client.close()).resolves.toBeUndefined();
    await expect(client.request('model/list')).rejects.toBeInstanceOf(CodexTransportError);
    await expect(client.start()).rejects.toBeInstanceOf(CodexTransportError);
    await expect(client.listModels()).rejects.toMatchObject({ name: 'CodexTransportError' });
    expect(() => process.kill(pid!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(client.stats).toMatchObject({ turns: 0, pendingRequests: 0, pendingApprovals: 0 });
  });

  it('a server command that exits at once rejects start() with CodexTransportError naming the command and exit code', async () => {
    const command = [...off.command, '--definitely-bad-flag'];
    // A long startup grace: the bad-flag exit (about 0.1 s here) must land inside it, not after start() resolved.
    const bad = CodexClient.connectStdio({ command, env: off.env, cwd: off.workspace, startupGraceMs: 20_000 });
    try {
      const err = (await bad.start().then(
        () => null,
        (e: unknown) => e,
      )) as CodexTransportError;
      expect(err).toBeInstanceOf(CodexTransportError);
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(command.join(' '));
      expect(err.message).toContain('exit code 2');
      await expect(bad.initialize()).rejects.toBeInstanceOf(CodexTransportError);
    } finally {
      await bad.close();
    }
  });

  it('with the default startup grace (50 ms, shorter than that exit) initialize() still rejects naming the exit', async () => {
    // start() may resolve before the process exits; the handshake then fails with the exit as its reason.
    const command = [...off.command, '--definitely-bad-flag'];
    const bad = CodexClient.connectStdio({ command, env: off.env, cwd: off.workspace });
    try {
      const err = (await bad.initialize().then(
        () => null,
        (e: unknown) => e,
      )) as CodexTransportError;
      expect(err).toBeInstanceOf(CodexTransportError);
      expect(err.message).toContain(command.join(' '));
      expect(err.message).toContain('exit code 2');
    } finally {
      await bad.close();
    }
  });
});
