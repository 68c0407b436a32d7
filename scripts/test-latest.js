#!/usr/bin/env node
// Runs the end-to-end specs and the drift report against another `@openai/codex` than the pinned
// one: by default the latest. It installs that server into a temporary prefix (package.json and
// the lockfile stay untouched) and points the offline harness and the generator at it with
// CODEX_RX_CODEX_PREFIX, so an upgrade check is one command.
//
//   npm run test:latest                  # @openai/codex@latest
//   npm run test:latest -- 0.172.0       # a version or dist-tag
//   npm run test:latest -- latest -t ws  # further arguments go to jest
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [wanted = 'latest', ...jestArgs] = process.argv.slice(2);
const shell = process.platform === 'win32';

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env }, shell });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-server-'));
let status = 1;
try {
  const npmArgs = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `@openai/codex@${wanted}`];
  if (run('npm', npmArgs) !== 0) throw new Error(`npm could not install @openai/codex@${wanted}`);
  const installed = JSON.parse(fs.readFileSync(path.join(prefix, 'node_modules/@openai/codex/package.json'), 'utf8')).version;
  const pinned = JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json', { paths: [root] }), 'utf8')).version;
  console.log(`\ncodex-rx pins @openai/codex ${pinned}; running the end-to-end specs against ${installed} (${wanted})\n`);
  const jest = require.resolve('jest/bin/jest', { paths: [root] });
  status = run(process.execPath, [jest, '--runInBand', 'spec/e2e', 'spec/protocol/drift.spec.ts', ...jestArgs], {
    CODEX_RX_CODEX_PREFIX: prefix,
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
} finally {
  fs.rmSync(prefix, { recursive: true, force: true });
}
process.exitCode = status;
