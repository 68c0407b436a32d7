/**
 * `CodexTransportError.code` says which failure happened, each shown the way it happens: a real
 * child process, a real socket.
 */
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { WebSocketServer } from 'ws';
import { CodexClient } from '../../src/client';
import {
  CodexTimeoutError,
  CodexTransportError,
  CodexTurnInactiveError,
  isCodexError,
  isTransportError,
  TransportErrorCode,
} from '../../src/errors';
import { JsonRpcConnection } from '../../src/streams/connection';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';
import { stdioFake as fake } from '../support/fake-process';

async function codeOf(p: Promise<unknown>): Promise<TransportErrorCode | string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(CodexTransportError);
    return (err as CodexTransportError).code;
  }
}

describe('CodexTransportError.code', () => {
  it('a request after close(): closed', async () => {
    const client = fake();
    await client.start();
    await client.close();
    expect(await codeOf(client.listModels())).toBe('closed');
    expect(await codeOf(client.start())).toBe('closed');
  });

  it('a request pending when the client closes: closed', async () => {
    const client = fake();
    const pending = codeOf(client.request('fake/silent'));
    await client.initialize();
    await client.close();
    expect(await pending).toBe('closed');
  });

  it('a server that exits at start: exited, with its exit code', async () => {
    const client = CodexClient.connectStdio({ command: [process.execPath, '-e', 'process.exit(3)'], startupGraceMs: 2_000 });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CodexTransportError', code: 'exited', exitCode: 3 });
    await client.close();
  });

  it('a server that exits mid-turn: exited', async () => {
    const client = fake();
    expect(await codeOf(client.chatOnce('EXIT 4'))).toBe('exited');
  });

  it('a command that cannot be spawned: connect-failed', async () => {
    const client = CodexClient.connectStdio({ command: ['/no/such/codex-binary', 'app-server'] });
    expect(await codeOf(client.start())).toBe('connect-failed');
    await client.close();
  });

  it('a connection used before start(): not-started', async () => {
    const conn = new JsonRpcConnection(new InMemoryTransport());
    expect(await codeOf(conn.request('model/list'))).toBe('not-started');
  });

  describe('WebSocket', () => {
    let wss: WebSocketServer;
    let url: string;
    beforeAll(async () => {
      wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized') });
      await new Promise<void>((r) => wss.once('listening', () => r()));
      url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => wss.close(() => r())));

    it('an upgrade refused with HTTP 401: auth-failed', async () => {
      const client = CodexClient.connectWebSocket({ url, token: 'wrong' });
      const err = await client.start().catch((e: unknown) => e);
      expect(isTransportError(err, 'auth-failed')).toBe(true);
      await client.close();
    });

    it('nothing listening: connect-failed', async () => {
      const port = await new Promise<number>((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as AddressInfo).port;
          srv.close(() => resolve(p));
        });
      });
      const client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${port}` });
      expect(await codeOf(client.start())).toBe('connect-failed');
      await client.close();
    });

    it('an established link that drops: disconnected', async () => {
      const open = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise<void>((r) => open.once('listening', () => r()));
      open.on('connection', (ws) => ws.on('message', () => ws.terminate()));
      const client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${(open.address() as AddressInfo).port}` });
      try {
        expect(await codeOf(client.listModels())).toBe('disconnected');
      } finally {
        await client.close();
        await new Promise<void>((r) => open.close(() => r()));
      }
    });
  });
});

describe('isCodexError', () => {
  it('matches a subclass by its parent names too, as instanceof would, and nothing else', () => {
    const inactive = new CodexTurnInactiveError('idle', { threadId: 't', turnId: 'u', cursor: 0, mode: 'once' }, 10);
    expect(inactive).toBeInstanceOf(CodexTimeoutError);
    expect(isCodexError(inactive, 'CodexTurnInactiveError')).toBe(true);
    expect(isCodexError(inactive, 'CodexTimeoutError')).toBe(true);
    expect(isCodexError(inactive, 'CodexError')).toBe(true);
    expect(isCodexError(inactive)).toBe(true);
    expect(isCodexError(inactive, 'CodexTransportError')).toBe(false);
    expect(isCodexError(new CodexTransportError('x'), 'CodexTimeoutError')).toBe(false);
    // an error of another package copy: only its name is known
    const foreign = Object.assign(new Error('idle'), { name: 'CodexTurnInactiveError' });
    expect(isCodexError(foreign, 'CodexTimeoutError')).toBe(true);
    expect(isCodexError(new Error('x'), 'CodexError')).toBe(false);
  });
});
