#!/usr/bin/env node
/**
 * `npm run bench`: compiles bench/ (and the src/ and spec/support files it imports) into the
 * gitignored .bench-build/ with tsc, then runs the benchmarks (bench/main.ts) under node
 * --expose-gc (each timed run starts from a collected heap). Extra arguments and BENCH_* variables
 * are passed through (see bench/main.ts); NODE_FLAGS adds node flags. With --cpu-prof the profile
 * goes to .bench-build/profiles/ (unless --cpu-prof-dir says otherwise) and its top functions are
 * printed (bench/profile-top.ts), e.g.
 *   NODE_FLAGS=--cpu-prof BENCH_ONLY=once BENCH_SIDE=rx npm run bench
 * With --alloc-prof (ours, not node's) the run's allocation sites are printed at its end
 * (bench/alloc-profile.ts).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const build = path.join(root, '.bench-build');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
// The compiled sources import `#node-transports` (see scripts/build.js): map it in this build's scope.
fs.writeFileSync(
  path.join(root, '.bench-build', 'package.json'),
  JSON.stringify({ type: 'commonjs', imports: { '#node-transports': './src/streams/node-transports.js' } }, null, 2) + '\n',
);

const flags = (process.env.NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
// `--alloc-prof` is ours, not node's: preload the allocation sampler (bench/alloc-profile.ts).
if (flags.includes('--alloc-prof')) flags.splice(flags.indexOf('--alloc-prof'), 1, '-r', path.join(build, 'bench', 'alloc-profile.js'));
const profiling = flags.includes('--cpu-prof');
let profileDir = flags.find((f) => f.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
if (profiling && !profileDir) {
  profileDir = path.join(build, 'profiles');
  flags.push(`--cpu-prof-dir=${profileDir}`);
}
const profilesNow = () =>
  profileDir && fs.existsSync(profileDir) ? fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')) : [];
const before = new Set(profilesNow());

// `node scripts/bench.js faults`: the fault figures of RELIABILITY.md (bench/faults.ts) instead of the benchmarks.
const [first, ...rest] = process.argv.slice(2);
const entry = first === 'faults' ? ['faults.js', rest] : ['main.js', process.argv.slice(2)];
const run = spawnSync(process.execPath, ['--expose-gc', ...flags, path.join(build, 'bench', entry[0]), ...entry[1]], {
  cwd: root,
  stdio: 'inherit',
});
if (profiling) {
  for (const f of profilesNow().filter((f) => !before.has(f))) {
    spawnSync(process.execPath, [path.join(build, 'bench', 'profile-top.js'), path.resolve(root, profileDir, f)], { stdio: 'inherit' });
  }
}
process.exit(run.status ?? 1);
