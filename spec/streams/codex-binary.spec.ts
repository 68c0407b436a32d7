/** Finding the codex to run when no command is given (issue 13.6). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { codexFromPackage, codexOnPath, findCodex } from '../../src/streams/codex-binary';
import { defaultStdioLaunch } from '../../src/streams/command-line';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-bin-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An executable `codex` in a folder of its own. */
function fakeCodexOnPath(): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'codex'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return bin;
}

describe('finding codex', () => {
  it('the @openai/codex installed beside codex-rx: its native binary, and its version', () => {
    const installed = JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json'), 'utf8')).version;
    const launch = codexFromPackage(undefined);
    expect(launch).not.toBeNull();
    expect(launch!.version).toBe(installed);
    expect(launch!.command[launch!.command.length - 1]).toBe('app-server');
    expect(path.basename(launch!.command[0]!)).toBe('codex');
    expect(fs.statSync(launch!.command[0]!).mode & 0o111).not.toBe(0);
    expect(findCodex({ PATH: '' })).toEqual(launch);
  });

  it('else `codex` on the PATH (an executable file; a plain file is not one)', () => {
    const bin = fakeCodexOnPath();
    fs.writeFileSync(path.join(dir, 'codex'), 'not executable', { mode: 0o644 });
    expect(codexOnPath([dir, bin].join(path.delimiter))).toEqual({
      command: [path.join(bin, 'codex'), 'app-server'],
      env: {},
      version: null,
    });
    expect(findCodex({ CODEX_RX_CODEX_PREFIX: dir, PATH: bin })?.command).toEqual([path.join(bin, 'codex'), 'app-server']);
  });

  it('CODEX_APP_SERVER_CMD comes first; with nothing at all there is nothing', () => {
    const bin = fakeCodexOnPath();
    expect(defaultStdioLaunch({ CODEX_APP_SERVER_CMD: 'my-codex app-server --x', PATH: bin })).toEqual({
      command: ['my-codex', 'app-server', '--x'],
      env: {},
    });
    expect(defaultStdioLaunch({ CODEX_RX_CODEX_PREFIX: dir, PATH: '' })).toBeNull();
  });

  it('with no codex anywhere, start() says how to get one', async () => {
    const client = CodexClient.connectStdio({ env: { CODEX_RX_CODEX_PREFIX: dir, PATH: '', CODEX_APP_SERVER_CMD: '' } });
    const err = (await client.start().catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'CodexTransportError', code: 'connect-failed' });
    expect(err.message).toMatch(/npm install @openai\/codex/);
    expect(err.message).toMatch(/CODEX_APP_SERVER_CMD/);
    expect(err.message).toMatch(/`command` option/);
    await client.close();
  });
});
