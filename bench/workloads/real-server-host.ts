/**
 * Hosts `startOfflineCodex()` (the scripted model and a throwaway CODEX_HOME) in a process of its
 * own, so that the model's CPU time is not the client's and the model does not share the client's
 * event loop (a real model is remote too). Prints `{ command, env, workspace }` as one JSON line;
 * disposes of everything when its stdin closes. Started by bench/workloads/real-server.ts.
 * `--exec-servers N`: N offline exec-servers too (their `{ id, url, workspace }` in `execServers`).
 */
import { startOfflineCodex } from '../../src/testing/real-server';

async function main(): Promise<void> {
  const at = process.argv.indexOf('--exec-servers');
  const off = await startOfflineCodex({ execServers: at > 0 ? Number(process.argv[at + 1]) : 0 });
  const execServers = off.execServers.map(({ id, url, workspace }) => ({ id, url, workspace }));
  process.stdout.write(JSON.stringify({ command: off.command, env: off.env, workspace: off.workspace, execServers }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    off.dispose().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
