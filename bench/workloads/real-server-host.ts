/**
 * Hosts `startOfflineCodex()` (the scripted model and a throwaway CODEX_HOME) in a process of its
 * own, so that the model's CPU time is not the client's and the model does not share the client's
 * event loop (a real model is remote too). Prints `{ command, env, workspace }` as one JSON line;
 * disposes of everything when its stdin closes. Started by bench/workloads/real-server.ts.
 */
import { startOfflineCodex } from '../../src/testing/real-server';

async function main(): Promise<void> {
  const off = await startOfflineCodex();
  process.stdout.write(JSON.stringify({ command: off.command, env: off.env, workspace: off.workspace }) + '\n');
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
