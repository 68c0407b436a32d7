#!/usr/bin/env node
/**
 * Builds examples/angular with Angular's application builder (`@angular/build:application`, the
 * builder `ng build` runs), through Architect as the Angular CLI does, without the CLI itself.
 * The app imports `codex-rx` by name: install the packed package first (scripts/lib/packed.js).
 *
 *   node scripts/build-angular-example.js [outputPath] [configuration]
 */
'use strict';
const path = require('node:path');
const { Architect } = require('@angular-devkit/architect');
const { WorkspaceNodeModulesArchitectHost } = require('@angular-devkit/architect/node');
const { logging, workspaces } = require('@angular-devkit/core');
const { NodeJsSyncHost } = require('@angular-devkit/core/node');

const exampleRoot = path.resolve(__dirname, '..', 'examples', 'angular');

/** Builds the example; resolves with the output directory (its browser files are in `browser/`). */
async function buildAngularExample({
  outputPath = path.join(exampleRoot, 'dist'),
  configuration = 'production',
  log = () => undefined,
} = {}) {
  const { workspace } = await workspaces.readWorkspace(exampleRoot, workspaces.createWorkspaceHost(new NodeJsSyncHost()));
  const architect = new Architect(new WorkspaceNodeModulesArchitectHost(workspace, exampleRoot));
  const logger = new logging.Logger('angular-example');
  const lines = [];
  logger.subscribe((entry) => {
    lines.push(entry.message);
    log(entry.message);
  });
  const run = await architect.scheduleTarget({ project: 'chat', target: 'build', configuration }, { outputPath }, { logger });
  const result = await run.result;
  await run.stop();
  if (!result.success) throw new Error(`the Angular build failed:\n${lines.join('\n')}`);
  return outputPath;
}

module.exports = { buildAngularExample, exampleRoot };

if (require.main === module) {
  const [outputPath, configuration] = process.argv.slice(2);
  buildAngularExample({ outputPath: outputPath && path.resolve(outputPath), configuration, log: (m) => console.log(m) }).then(
    (out) => console.log(`built ${path.relative(process.cwd(), out) || out}`),
    (err) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
