/**
 * Prints where a V8 CPU profile (`.cpuprofile`, from `node --cpu-prof`) spent its time: the
 * functions with the most self time, then self time by origin (each codex-rx source file, rxjs,
 * node internals, the garbage collector...). Percentages are of the busy time (all but `(idle)`).
 * V8 counts built-ins (`JSON.parse`, `Array.prototype.push`...) as their caller's self time.
 *
 *   node .bench-build/bench/profile-top.js <file.cpuprofile> [functions=25]
 *
 * `NODE_FLAGS=--cpu-prof BENCH_ONLY=<id> BENCH_SIDE=rx npm run bench` runs this on its profile.
 */
import * as fs from 'node:fs';
import { ROOT } from './common';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A script's url, shorter: `.bench-build/src/engine/turns.js` (compiled code: lines are the .js file's), `rxjs/...`, `node:...`. */
function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}/`, '')
    .replace(/^(.*\/)?node_modules\//, '');
}

/** Where a function comes from, for the summary by origin. */
function originOf(url: string, name: string): string {
  const u = shortUrl(url);
  if (!u) return name.startsWith('(') ? name : '(native bindings: writev, read...)';
  if (u.startsWith('.bench-build/src/')) return u.slice('.bench-build/'.length);
  if (u.startsWith('rxjs/')) return 'rxjs';
  if (u.startsWith('node:')) return 'node internals';
  return u.split('/').slice(0, 2).join('/');
}

/** Self time in ms per key, from the samples (each sample owns the time until the next one, as DevTools counts it). */
function selfTimes(p: Profile, keyOf: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const times = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const key = keyOf(byId.get(p.samples[i]!)!);
    times.set(key, (times.get(key) ?? 0) + ms);
  }
  return times;
}

function top(times: Map<string, number>, busy: number, n: number): string[] {
  return [...times]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${ms.toFixed(1).padStart(8)} ms  ${k}`);
}

export function summarize(file: string, functions = 25): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const fnKey = ({ callFrame: f }: ProfileNode) => {
    const where = shortUrl(f.url);
    return where ? `${f.functionName || '(anonymous)'}  ${where}:${f.lineNumber + 1}` : f.functionName;
  };
  const byFunction = selfTimes(p, fnKey);
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  const busy = total - (byFunction.get('(idle)') ?? 0);
  return [
    `${file}: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy`,
    `top ${functions} functions by self time:`,
    ...top(byFunction, busy, functions),
    'self time by origin:',
    ...top(
      selfTimes(p, (n) => originOf(n.callFrame.url, n.callFrame.functionName)),
      busy,
      15,
    ),
  ].join('\n');
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node .bench-build/bench/profile-top.js <file.cpuprofile> [functions]');
    process.exit(2);
  }
  console.log(summarize(file, n ? Number(n) : undefined));
}
