#!/usr/bin/env node
/**
 * `npm run example:angular`: builds the package, installs it into examples/angular/node_modules as
 * a dependency, builds the Angular app, then serves it with its backend (examples/angular/server.ts:
 * the relay, the real app-server, the scripted model) on http://127.0.0.1:4200 (PORT to change).
 */
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureBuilt, installPacked } = require('./lib/packed');
const { buildAngularExample, exampleRoot } = require('./build-angular-example');

async function main() {
  ensureBuilt();
  installPacked(path.join(exampleRoot, 'node_modules'), { linkDependencies: false });
  const out = await buildAngularExample({ outputPath: path.join(exampleRoot, 'dist'), log: (m) => console.log(m) });
  const run = spawnSync(
    process.execPath,
    [path.join(__dirname, 'run-ts.js'), path.join(exampleRoot, 'server.ts'), path.join(out, 'browser')],
    {
      stdio: 'inherit',
    },
  );
  process.exitCode = run.status ?? 1;
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});
