#!/usr/bin/env node
/**
 * `npm test`: the static checks (lint, dependency rules, format, typecheck, TypeDoc, the API report)
 * and jest, run concurrently instead of one after another. Jest's output shows as it comes; each
 * check's is held and printed whole when it ends, with its time. The run fails if any task fails,
 * and ends with a table of every task's time. Arguments go to jest (`npm test -- spec/engine`).
 *
 * dist/ is built (when stale) by whichever task asks first, the API report or a package spec: the
 * build lock in scripts/lib/packed.js keeps the others waiting for that one build.
 *
 * `CODEX_RX_TEST_CHECK_LANES` (default 2): how many checks run at a time beside jest; the checks
 * are mostly single-threaded, and jest's workers want the cores too.
 */
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const jestArgs = process.argv.slice(2);
const lanes = Math.max(1, Number(process.env.CODEX_RX_TEST_CHECK_LANES ?? 2));
const npm = process.env.npm_execpath;
const npmRun = (script) =>
  npm && npm.endsWith('.js') ? [process.execPath, npm, 'run', '--silent', script] : ['npm', 'run', '--silent', script];

// Longest first: the lanes finish together.
const checks = [
  { name: 'api:check', command: npmRun('api:check') },
  { name: 'lint', command: npmRun('lint') },
  { name: 'typecheck', command: npmRun('typecheck') },
  { name: 'docs:check', command: npmRun('docs:check') },
  { name: 'deps', command: npmRun('deps') },
  { name: 'format:check', command: npmRun('format:check') },
];
// Jest's progress shows as it comes (the checks' outputs land between its lines, whole).
const jest = { name: 'jest', live: true, command: [process.execPath, require.resolve('jest/bin/jest'), ...jestArgs] };

/** Runs one task, its output captured; resolves with its result (never rejects). */
function run(task) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(task.command[0], task.command.slice(1), { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    const out = [];
    const keep = (d) => (task.live ? process.stdout.write(d) : out.push(d));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const done = (code) => {
      const result = { name: task.name, code, seconds: (Date.now() - started) / 1000, output: Buffer.concat(out).toString() };
      report(result);
      resolve(result);
    };
    child.on('error', (err) => {
      out.push(Buffer.from(String(err) + '\n'));
      done(1);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

function report(result) {
  const verdict = result.code === 0 ? 'ok' : `FAILED (exit ${result.code})`;
  const output = result.output.trimEnd();
  process.stdout.write(`\n===== ${result.name}: ${verdict} in ${result.seconds.toFixed(1)} s =====\n${output ? output + '\n' : ''}`);
}

async function main() {
  const t0 = Date.now();
  const results = [];
  const queue = [...checks];
  const lane = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) results.push(await run(task));
  };
  await Promise.all([run(jest).then((r) => results.push(r)), ...Array.from({ length: lanes }, lane)]);

  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write('\n===== npm test: time per task (concurrent; wall time below) =====\n');
  for (const r of results)
    process.stdout.write(`  ${r.name.padEnd(26)} ${r.seconds.toFixed(1).padStart(6)} s${r.code === 0 ? '' : '  FAILED'}\n`);
  process.stdout.write(`  ${'wall'.padEnd(26)} ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s\n`);
  if (failed.length) {
    process.stdout.write(`\nFAILED: ${failed.map((r) => r.name).join(', ')}\n`);
    process.exitCode = 1;
  }
}

main();
