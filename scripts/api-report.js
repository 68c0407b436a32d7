#!/usr/bin/env node
/**
 * The public surface, pinned: API Extractor writes one report per entry point (api/<entry>.api.md)
 * from the built CommonJS declarations. `npm run api:check` (in `npm test`) fails when the surface
 * differs from the committed reports, and prints how; `npm run api:update` rewrites them after a
 * deliberate change (which then shows in review, with a CHANGELOG line).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { CompilerState, Extractor, ExtractorConfig } = require('@microsoft/api-extractor');

const root = path.resolve(__dirname, '..');
const update = process.argv.includes('--update');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

// Built from the current sources unless they already are (the same stamp the package specs use).
require('./lib/packed.js').ensureBuilt();

/** `codex-rx/testing/node` → `testing-node`, `.` → `codex-rx`. */
const reportName = (sub) => (sub === '.' ? 'codex-rx' : sub.slice(2).replace(/\//g, '-'));

fs.mkdirSync(path.join(root, 'api'), { recursive: true });
const entries = Object.entries(pkg.exports)
  .filter(([, conditions]) => typeof conditions !== 'string') // ./package.json
  .map(([sub, conditions]) => ({ sub, name: reportName(sub), config: prepare(sub, conditions) }));
// One TypeScript program for every entry point, not one each (most of the run's time).
const compilerState = CompilerState.create(entries[0].config, {
  additionalEntryPoints: entries.map((e) => e.config.mainEntryPointFilePath),
});

let changed = 0;
for (const { sub, name, config } of entries) {
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false, messageCallback: quiet, compilerState });
  if (result.apiReportChanged) {
    changed++;
    console.error(`api/${name}.api.md: the public surface of '${sub === '.' ? 'codex-rx' : `codex-rx/${sub.slice(2)}`}' changed`);
  }
  if (!result.succeeded && !result.apiReportChanged) {
    console.error(`api/${name}.api.md: API Extractor failed (${result.errorCount} errors)`);
    process.exitCode = 1;
  }
}
fs.rmSync(path.join(root, '.api-temp'), { recursive: true, force: true });
if (changed && !update) {
  console.error(`\n${changed} report(s) differ: review the change, then \`npm run api:update\` and commit api/ (and a CHANGELOG line).`);
  process.exitCode = 1;
} else if (!process.exitCode)
  console.log(update ? `api/: ${changed} report(s) updated` : 'api/: the public surface matches the committed reports');

/** API Extractor's own chatter goes nowhere; what matters is reported above. */
function quiet(message) {
  if (process.env.API_REPORT_VERBOSE) console.error(message.logLevel, message.messageId, message.text);
  if (message.logLevel !== 'error') message.handled = true;
}

/** API Extractor's configuration for one entry point (`sub`, its export `conditions`). */
function prepare(sub, conditions) {
  const name = reportName(sub);
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: path.join(root, conditions.require.types),
      compiler: { overrideTsconfig: { compilerOptions: { lib: ['es2022', 'dom'], types: ['node'], skipLibCheck: true, strict: true } } },
      apiReport: {
        enabled: true,
        reportFileName: `${name}.api.md`,
        reportFolder: path.join(root, 'api'),
        reportTempFolder: path.join(root, '.api-temp'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // The report is about what is exported, not about doc-comment style (TypeDoc checks that).
        extractorMessageReporting: { default: { logLevel: 'none' } },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
        // (the package's own type-check is tsc's, in npm test; API Extractor's bundled compiler may lag it)
        compilerMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: path.join(root, 'api-extractor.json'),
    packageJsonFullPath: path.join(root, 'package.json'),
  });
}
