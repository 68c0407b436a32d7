import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startOfflineCodex } from '../../src/testing/real-server';

describe('startOfflineCodex without @openai/codex', () => {
  const tmpEntries = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('codex-home-') || n.startsWith('codex-rx-ws-'));
  const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

  it('rejects, and leaves no scripted model listening and no temp folder behind', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-no-codex-'));
    const before = { dirs: tmpEntries(), servers: servers() };
    const saved = process.env.CODEX_RX_CODEX_PREFIX;
    process.env.CODEX_RX_CODEX_PREFIX = empty;
    try {
      await expect(startOfflineCodex()).rejects.toThrow(
        `@openai/codex is not installed under ${empty} (CODEX_RX_CODEX_PREFIX): the offline harness runs its real app-server. Install it with \`npm install --prefix ${empty} @openai/codex\`.`,
      );
    } finally {
      if (saved === undefined) delete process.env.CODEX_RX_CODEX_PREFIX;
      else process.env.CODEX_RX_CODEX_PREFIX = saved;
      fs.rmSync(empty, { recursive: true, force: true });
    }
    expect(servers()).toBe(before.servers);
    expect(tmpEntries()).toEqual(before.dirs);
  });
});
