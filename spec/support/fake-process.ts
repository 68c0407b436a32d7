/**
 * The shipped FakeAppServer as a child process over stdio, with its fault scenarios
 * (src/testing/fake-server/cli.ts, `installFaults`). Importing this module builds dist/ (if it is
 * not current) before the importing spec file's tests: the child runs the built CLI.
 */
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import type { StdioOptions } from '../../src/options';
import { closeAfterEach } from './client-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packed = require('../../scripts/lib/packed.js') as { ensureBuilt(): boolean };

beforeAll(() => packed.ensureBuilt(), 300_000);

/** The fake app-server's command-line entry: `node FAKE_SERVER [log=<file>] [overload=<method>:<n>,...]`. */
export const FAKE_SERVER = path.join(__dirname, '..', '..', 'dist', 'cjs', 'testing', 'fake-server', 'cli.js');

/** A stdio client of the fake app-server child process (closed after the test). */
export function stdioFake(args: string[] = [], options: Partial<StdioOptions> = {}): CodexClient {
  return closeAfterEach(CodexClient.connectStdio({ command: [process.execPath, FAKE_SERVER, ...args], ...options }));
}
