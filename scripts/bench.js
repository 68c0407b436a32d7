#!/usr/bin/env node
/**
 * `npm run bench`: compiles bench/ (and the src/ and spec/support files it imports) into the
 * gitignored .bench-build/ with tsc, then runs the benchmarks (bench/main.ts). Extra arguments and
 * BENCH_* variables are passed through (see bench/main.ts); NODE_FLAGS adds node flags, e.g.
 * NODE_FLAGS=--cpu-prof BENCH_ONLY=chat npm run bench
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
// The compiled sources import `#node-transports` (see scripts/build.js): map it in this build's scope.
fs.writeFileSync(
  path.join(root, '.bench-build', 'package.json'),
  JSON.stringify({ type: 'commonjs', imports: { '#node-transports': './src/streams/node-transports.js' } }, null, 2) + '\n',
);

const flags = (process.env.NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const run = spawnSync(process.execPath, [...flags, path.join(root, '.bench-build', 'bench', 'main.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
