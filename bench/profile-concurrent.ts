/**
 * Profiling aid (not part of `npm run bench`): codex-rx alone on the flood server, one big turn
 * then 1,000 concurrent turns, printing client CPU per frame. Run with
 * `node --cpu-prof .bench-build/bench/profile-concurrent.js [one|conc]` after `npm run bench` compiled it.
 * Env: DELTAS=n deltas per turn (default 100,000 for one, 100 for conc); NO_IDLE=1 turns the
 * inactivity timeout off (to see its share).
 */
import { framesPerTurn, rxChat, rxFlood } from './common';

async function main(which: string): Promise<void> {
  const client = await rxFlood(process.env.NO_IDLE ? { inactivityTimeoutMs: null } : {});
  try {
    const turns = which === 'one' ? 1 : 1_000;
    const deltas = Number(process.env.DELTAS ?? (which === 'one' ? 100_000 : 100));
    const items = 2;
    for (let round = 0; round < 4; round++) {
      const threads = await Promise.all(Array.from({ length: turns }, () => client.startThread()));
      const cpu0 = process.cpuUsage();
      await Promise.all(threads.map((t) => rxChat(client, t.threadId, `FLOOD ${deltas} ${items}`)));
      const used = process.cpuUsage(cpu0);
      const frames = turns * framesPerTurn(deltas, items);
      console.log(
        `${which}: ${((used.user + used.system) / frames).toFixed(2)} µs CPU/frame (user ${(used.user / frames).toFixed(2)}, system ${(used.system / frames).toFixed(2)})`,
      );
    }
  } finally {
    await client.close();
  }
}

void main(process.argv[2] ?? 'conc');
