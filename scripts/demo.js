#!/usr/bin/env node
/**
 * `npm run demo` (after `npm run build`): transpiles demo/main.ts into the gitignored .demo-build/
 * and runs it. The demo imports `codex-rx` and `codex-rx/testing/node` by name, which Node resolves
 * to the built dist/ through the package's own `exports` (a package may import itself by name).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'demo', 'main.ts');
const outDir = path.join(root, '.demo-build');
const out = path.join(outDir, 'main.js');

const { outputText, diagnostics } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
  fileName: source,
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true, sourceMap: false },
});
if (diagnostics?.length) {
  console.error(
    ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
  );
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(out, outputText);
const run = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
