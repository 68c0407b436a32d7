/**
 * `node dist/cjs/testing/fake-server/cli.js [log=<file>] [overload=<method>:<n>,...]`: a fault-injecting
 * `FakeAppServer` on stdio, as a stand-in for `codex app-server` (see `serveFakeAppServerOverStdio`
 * and `installFaults`).
 */
import { fakeStdioOptionsFromArgs, serveFakeAppServerOverStdio } from './stdio';

serveFakeAppServerOverStdio(fakeStdioOptionsFromArgs(process.argv.slice(2), process.env));
