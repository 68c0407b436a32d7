/**
 * Where a benchmark run allocates, garbage included: preloaded (`node -r`) by scripts/bench.js when
 * NODE_FLAGS holds `--alloc-prof`, it samples every allocation (one per `ALLOC_PROF_INTERVAL`
 * bytes, default 1,024) through V8's sampling heap profiler, keeping the objects the collector has
 * already freed (node's own `--heap-prof` keeps only those still alive, which hides what costs the
 * collector its time), and prints the top allocation sites by bytes when the process exits. Per
 * turn or per frame, divide by the run's turns or frames (the warm-up run and start-up included).
 */
import { Session } from 'node:inspector';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.ALLOC_PROF_INTERVAL ?? 1024),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as object);

const short = (url: string) => url.replace(/^.*\/(src|bench|spec|node_modules)\//, '$1/').replace(/^node:/, 'node:');

process.once('exit', () => {
  // The inspector answers synchronously inside 'exit'.
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (err) {
      process.stderr.write(`alloc-prof: ${err.message}\n`);
      return;
    }
    const bySite = new Map<string, number>();
    let total = 0;
    const walk = (node: Node) => {
      if (node.selfSize) {
        const { functionName, url, lineNumber } = node.callFrame;
        const site = `${functionName || '(anonymous)'}  ${short(url) || '(native)'}${url ? `:${lineNumber + 1}` : ''}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      node.children.forEach(walk);
    };
    walk((result as unknown as { profile: { head: Node } }).profile.head);
    const top = Number(process.env.ALLOC_PROF_TOP ?? 30);
    const lines = [`allocated (sampled): ${(total / 1e6).toFixed(1)} MB; top ${top} sites by bytes:`];
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / 1e6).toFixed(2).padStart(7)} MB  ${site}`);
    }
    process.stderr.write(lines.join('\n') + '\n');
  });
});
