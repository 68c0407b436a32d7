/**
 * wss:// with a private CA: the TLS options reach ws. A real TLS server on 127.0.0.1 with a
 * certificate from a throwaway CA (spec/fixtures/tls).
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { CodexClient } from '../../src/client';
import { CodexTransportError } from '../../src/errors';

const TLS = path.join(__dirname, '..', 'fixtures', 'tls');
const ca = fs.readFileSync(path.join(TLS, 'ca.pem'));

let server: https.Server;
let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  server = https.createServer({ cert: fs.readFileSync(path.join(TLS, 'server.pem')), key: fs.readFileSync(path.join(TLS, 'server.key')) });
  wss = new WebSocketServer({ server });
  // A one-method app-server: answers `initialize`.
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.method === 'initialize') ws.send(JSON.stringify({ id: msg.id, result: { userAgent: 'tls-test/0.171.0 (linux; x64)' } }));
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

describe('wss:// with a private CA', () => {
  it('connects when the CA is given as `ca`', async () => {
    const client = CodexClient.connectWebSocket({ url, ca });
    try {
      expect((await client.initialize()).serverVersion).toBe('0.171.0');
    } finally {
      await client.close();
    }
  });

  it('refuses the certificate without it: connect-failed, naming the TLS failure', async () => {
    const client = CodexClient.connectWebSocket({ url });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'connect-failed', message: expect.stringMatching(/certificate/i) });
    await client.close();
  });

  it('rejectUnauthorized: false accepts it (for tests only)', async () => {
    const client = CodexClient.connectWebSocket({ url, rejectUnauthorized: false });
    try {
      expect((await client.initialize()).serverVersion).toBe('0.171.0');
    } finally {
      await client.close();
    }
  });
});
