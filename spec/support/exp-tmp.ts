import { lastValueFrom, count } from 'rxjs';
import { CodexClient } from '../../src/client';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';

function server(t: InMemoryTransport, deltas: number) {
  let n = 0;
  return (f: any) => {
    if (f.method === 'initialize') return { id: f.id, result: {} };
    if (f.method === 'thread/start') return { id: f.id, result: { thread: { id: 'th' + ++n } } };
    if (f.method === 'turn/start') {
      const threadId = f.params.threadId; const turnId = 'tu_' + threadId;
      const out: any[] = [{ id: f.id, result: { turn: { id: turnId, status: 'inProgress' } } }];
      setImmediate(() => {
        const lines: string[] = [];
        lines.push(JSON.stringify({ method: 'turn/started', params: { threadId, turn: { id: turnId } } }));
        for (let i = 0; i < deltas; i++) lines.push(JSON.stringify({ method: 'item/agentMessage/delta', params: { threadId, turnId, itemId: 'm', delta: 'x' } }));
        lines.push(JSON.stringify({ method: 'item/completed', params: { threadId, turnId, item: { type: 'agentMessage', id: 'm', text: 'x' } } }));
        lines.push(JSON.stringify({ method: 'turn/completed', params: { threadId, turn: { id: turnId, status: 'completed' } } }));
        t.receiveChunk(lines.join('\n') + '\n');
      });
      return out;
    }
    return undefined;
  };
}
async function run(turns: number, deltas: number) {
  let srv: any;
  const t: InMemoryTransport = new InMemoryTransport({ autoRespond: (f) => srv(f) });
  srv = server(t, deltas);
  const c = new CodexClient(t, {});
  await c.initialize();
  const threads = await Promise.all(Array.from({ length: turns }, () => c.startThread()));
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(threads.map((th) => lastValueFrom(th.chat('go').pipe(count()))));
  const used = process.cpuUsage(cpu0); const frames = turns * (deltas + 3);
  console.log(turns, 'turns', ((used.user + used.system) / frames).toFixed(2), 'µs/frame', ((performance.now() - t0) / turns * 1000 / (deltas + 3)).toFixed(2), 'wall µs/frame');
  await c.close();
}
(async () => { for (let i = 0; i < 3; i++) { await run(1, 100000); await run(1000, 100); } })();
