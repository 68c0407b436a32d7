/** Secrets stay out of errors: URLs, command lines, CODEX_APP_SERVER_CMD. */
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { CodexClient } from '../../src/client';
import { defaultStdioCommand } from '../../src/streams/command-line';
import { redactArgv, redactUrl } from '../../src/streams/redact';

describe('redactUrl', () => {
  it.each([
    ['ws://user:hunter2@127.0.0.1:8765/', 'ws://***:***@127.0.0.1:8765/'],
    ['ws://127.0.0.1:8765/?token=abc123&room=7', 'ws://127.0.0.1:8765/?token=***&room=7'],
    ['wss://h/x?access_token=t0k&api_key=k3y&sig=ok', 'wss://h/x?access_token=***&api_key=***&sig=ok'],
    ['ws://h/?q=sk-abcdefghijkl', 'ws://h/?q=***'],
    ['ws+unix:///tmp/codex.sock:/', 'ws+unix:///tmp/codex.sock:/'],
    ['ws://127.0.0.1:8765', 'ws://127.0.0.1:8765/'],
  ])('%s → %s', (url, shown) => expect(redactUrl(url)).toBe(shown));

  it('hides credentials in what it cannot parse as a URL too', () => {
    expect(redactUrl('not a url //me:pw@host?token=1')).toBe('not a url //***@host?token=***');
  });
});

describe('redactArgv', () => {
  it('hides flag values, the argument after a secret flag, NAME=value assignments and key-looking values', () => {
    expect(
      redactArgv([
        'codex',
        'app-server',
        '--api-key=sk-live-123456789',
        '--token',
        'abcdef',
        'OPENAI_API_KEY=whatever',
        '--config',
        'model="o3"',
        'sk-proj-abcdefghijkl',
        '--listen',
        'stdio://',
      ]),
    ).toEqual([
      'codex',
      'app-server',
      '--api-key=***',
      '--token',
      '***',
      'OPENAI_API_KEY=***',
      '--config',
      'model="o3"',
      '***',
      '--listen',
      'stdio://',
    ]);
  });
});

describe('errors carry no secret', () => {
  it('a WebSocket URL with credentials and a token: neither appears in the error', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const client = CodexClient.connectWebSocket({ url: `ws://admin:hunter2@127.0.0.1:${port}/?token=abc123` });
    const err = (await client.start().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`ws://***:***@127.0.0.1:${port}/?token=***`);
    expect(`${err.message}\n${err.stack}`).not.toMatch(/hunter2|abc123/);
    await client.close();
  });

  it('an exit error shows the command line without its key', async () => {
    const client = CodexClient.connectStdio({
      command: [process.execPath, '-e', 'process.exit(2)', '--', '--api-key=sk-live-123456789'],
      startupGraceMs: 2_000,
    });
    const err = (await client.start().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/--api-key=\*\*\*' exited with exit code 2/);
    expect(`${err.message}\n${err.stack}`).not.toContain('sk-live-123456789');
    await client.close();
  });

  it('an unterminated quote in CODEX_APP_SERVER_CMD says where, without echoing the line', () => {
    const line = 'codex app-server --token "sk-live-123456789';
    expect(() => defaultStdioCommand({ CODEX_APP_SERVER_CMD: line })).toThrow(
      'CODEX_APP_SERVER_CMD: unterminated " quote in the command line (opened at character 26 of 43)',
    );
    try {
      defaultStdioCommand({ CODEX_APP_SERVER_CMD: line });
    } catch (err) {
      expect(String(err)).not.toContain('sk-live');
    }
  });
});
