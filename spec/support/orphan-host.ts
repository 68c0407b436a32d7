/**
 * A host process for the orphan spec (bundled with esbuild at test time): starts a stdio
 * transport on a server that ignores stdin EOF and SIGTERM, prints the server's pid, then ends the
 * way argv[2] says: `exit` (process.exit), `throw` (an uncaught exception), `sigterm` or `sigint`
 * (a signal to itself).
 */
import { StdioTransport } from '../../src/streams/stdio';

async function main(): Promise<void> {
  const [how, server] = process.argv.slice(2);
  const transport = new StdioTransport({ command: [process.execPath, server!] });
  transport.messages$.subscribe({ error: () => undefined });
  await transport.start();
  process.stdout.write(`${transport.pid}\n`);
  // Give the pid line time to leave, then go.
  setTimeout(() => {
    if (how === 'exit') process.exit(0);
    if (how === 'throw') throw new Error('an uncaught exception in the host');
    if (how === 'sigterm') process.kill(process.pid, 'SIGTERM');
    if (how === 'sigint') process.kill(process.pid, 'SIGINT');
  }, 50);
}

void main();
