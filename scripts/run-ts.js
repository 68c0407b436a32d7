#!/usr/bin/env node
/**
 * Runs one TypeScript file of this repository that is not part of the package (the demo, the
 * Angular example's backend): transpiles it into the gitignored .demo-build/ and runs it with the
 * remaining arguments. The file imports `codex-rx` by name, which Node resolves to the built dist/
 * through the package's own `exports` (a package may import itself by name): build first.
 *
 *   node scripts/run-ts.js demo/main.ts [args...]
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
const source = path.resolve(file);
const out = path.join(root, '.demo-build', path.relative(root, source).replace(/\.ts$/, '.js'));

const { outputText, diagnostics } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
  fileName: source,
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
});
if (diagnostics?.length) {
  console.error(
    ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
  );
  process.exit(1);
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, outputText);
const run = spawnSync(process.execPath, [out, ...args], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
