/**
 * Fault injection over WebSocket, against in-process servers: the socket drops mid-turn, the token
 * is wrong (HTTP 401), and a TCP server that never answers the upgrade.
 */
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';
import { FakeAppServer, installFaults } from '../../src/testing/fake-server';
import { ZERO_STATS } from '../support/stats';

const TOKEN = 'right-token';
let wss: WebSocketServer;
let url: string;
const sockets = new Set<WebSocket>();

beforeAll(async () => {
  wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, cb) => {
      const ok = info.req.headers.authorization === `Bearer ${TOKEN}`;
      if (ok) cb(true);
      else cb(false, 401, 'Unauthorized');
    },
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // The fault-injecting FakeAppServer, one JSON text per message; "exiting" drops the socket abruptly.
    const server = installFaults(new FakeAppServer(), { hooks: { exit: () => ws.terminate() } });
    const receive = server.serve({
      write: (text) => {
        for (const line of String(text).split('\n')) if (line) ws.send(line);
      },
    });
    ws.on('message', (data) => receive(data.toString()));
    ws.on('close', () => void server.transport.close());
  });
});

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
});

describe('WebSocket faults', () => {
  it('works end to end with the right token (control)', async () => {
    const client = CodexClient.connectWebSocket({ url, token: TOKEN });
    try {
      expect((await client.chatOnce('ECHO over ws')).finalText).toBe('Echo: over ws');
    } finally {
      await client.close();
    }
  });

  it('the socket drops mid-turn: the turn fails with CodexTransportError', async () => {
    const client = CodexClient.connectWebSocket({ url, token: TOKEN });
    try {
      const started = firstValueFrom(client.notifications$.pipe(filter((n) => n.method === 'turn/started')));
      const turn = client.chatOnce('EXIT 1').catch((e: unknown) => e);
      await started;
      const err = await turn;
      expect(err).toBeInstanceOf(CodexTransportError);
      expect((err as Error).message).toMatch(/closed \(code 1006/);
      expect(client.stats).toEqual(ZERO_STATS);
      await expect(client.close()).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('a wrong token: start() rejects with a clear CodexTransportError (HTTP 401, check the token)', async () => {
    const client = CodexClient.connectWebSocket({ url, token: 'wrong' });
    try {
      const err = await client.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CodexTransportError);
      expect((err as Error).message).toContain('HTTP 401');
      expect((err as Error).message).toContain('check the token');
      // requests fail the same way, not with a hang
      await expect(client.listModels()).rejects.toBeInstanceOf(CodexTransportError);
    } finally {
      await client.close();
    }
  });

  it('a server that accepts TCP but never completes the handshake: connect timeout', async () => {
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      accepted.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const client = CodexClient.connectWebSocket({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 300 });
    try {
      const t0 = Date.now();
      const err = await client.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CodexTransportError);
      expect((err as Error).message).toContain('no handshake within 300 ms');
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(accepted.size).toBe(1);
    } finally {
      await client.close();
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
