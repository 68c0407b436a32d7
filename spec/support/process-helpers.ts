import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import type { StdioOptions } from '../../src/options';

/** The scriptable fake app-server (a real child process speaking NDJSON on stdio). */
export const FAKE_SERVER = path.join(__dirname, 'fake-server.js');

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stdio clients of the fake server, all closed by `closeAll()` (call it in afterEach). */
export function fakeClients(): { fake(args?: string[], opts?: StdioOptions): CodexClient; closeAll(): Promise<void> } {
  const clients: CodexClient[] = [];
  return {
    fake(args = [], opts = {}) {
      const c = CodexClient.connectStdio({ command: [process.execPath, FAKE_SERVER, ...args], ...opts });
      clients.push(c);
      return c;
    },
    async closeAll() {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    },
  };
}
