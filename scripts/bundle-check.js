#!/usr/bin/env node
/**
 * `npm run bundle:check`: bundles spec/package/fixtures/minimal-browser-app.ts for the browser with
 * esbuild, against the package as published (`npm pack` files, installed in a temporary
 * node_modules), and reports what a new user's bundle would hold: its minified size, which rxjs
 * builds are in it, and any Node-only input. Done twice: with esbuild's own browser resolution, and
 * with the conditions and main fields of Angular's application builder. spec/package/bundle.spec.ts
 * asserts the figures; run by hand, it prints them.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const esbuild = require('esbuild');
const { root, ensureBuilt, installPacked } = require('./lib/packed');

/** The largest minified bundle of the minimal app allowed (issue 15). */
const LIMIT_BYTES = 160 * 1024;
/** The most codex-rx/angular may add to an Angular app that uses it (issue 24). */
const ANGULAR_LIMIT_BYTES = 15 * 1024;

const FLAVOURS = {
  esbuild: {},
  // As @angular/build configures esbuild for browser applications.
  angular: { conditions: ['es2020', 'es2015', 'module'], mainFields: ['es2020', 'es2015', 'browser', 'module', 'main'], target: 'es2022' },
};

async function bundle(consumer, flavour, entry = 'app.ts') {
  const result = await esbuild.build({
    entryPoints: [path.join(consumer, entry)],
    absWorkingDir: consumer,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...FLAVOURS[flavour],
  });
  const code = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs);
  const bytesByPackage = {};
  for (const [file, info] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
    const name = packageOf(file) ?? '(app)';
    bytesByPackage[name] = (bytesByPackage[name] ?? 0) + info.bytesInOutput;
  }
  return {
    flavour,
    bytes: Buffer.byteLength(code),
    rxjsBuilds: [...new Set(inputs.map((f) => /node_modules\/rxjs\/dist\/([^/]+)\//.exec(f)?.[1]).filter(Boolean))],
    codexRxBuilds: [...new Set(inputs.map((f) => /node_modules\/codex-rx\/dist\/([^/]+)\//.exec(f)?.[1]).filter(Boolean))],
    nodeOnlyInputs: inputs.filter((f) =>
      /^node:|node_modules\/(ws|cross-spawn)\/|\/streams\/(stdio|websocket|node-transports)\.m?js$/.test(f),
    ),
    bytesByPackage,
    code,
  };
}

/** The package a bundled file belongs to (`rxjs`, `io-ts`, `codex-rx`), or null for the app. */
function packageOf(file) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m ? m[1] : null;
}

/** Runs the bundle as a page would (a fresh global object) and returns what the app found. */
async function run(code) {
  const sandbox = { console, queueMicrotask, setTimeout, clearTimeout, setInterval, clearInterval };
  vm.runInNewContext(code, sandbox, { filename: 'bundle.js' });
  const facts = sandbox.bundleFacts;
  return { ...facts, finalText: await facts.finalText };
}

async function checkBundles() {
  ensureBuilt();
  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-bundle-'));
  try {
    installPacked(path.join(consumer, 'node_modules'));
    fs.copyFileSync(path.join(root, 'spec/package/fixtures/minimal-browser-app.ts'), path.join(consumer, 'app.ts'));
    const results = [];
    for (const flavour of Object.keys(FLAVOURS)) {
      const b = await bundle(consumer, flavour);
      results.push({ ...b, facts: await run(b.code), code: undefined });
    }
    results.angular = await angularAddition(consumer);
    return results;
  } finally {
    fs.rmSync(consumer, { recursive: true, force: true });
  }
}

/**
 * What codex-rx/angular adds to an Angular app that uses it: the same app bundled (Angular's
 * resolution) with and without it (spec/package/fixtures/angular-*-app.ts), and the bytes of its
 * own modules in the larger one.
 */
async function angularAddition(consumer) {
  for (const f of ['angular-base-app.ts', 'angular-codex-app.ts']) {
    fs.copyFileSync(path.join(root, 'spec/package/fixtures', f), path.join(consumer, f));
  }
  const base = await bundle(consumer, 'angular', 'angular-base-app.ts');
  const withIt = await bundle(consumer, 'angular', 'angular-codex-app.ts');
  return {
    baseBytes: base.bytes,
    withBytes: withIt.bytes,
    addedBytes: withIt.bytes - base.bytes,
    nodeOnlyInputs: withIt.nodeOnlyInputs,
    rxjsBuilds: withIt.rxjsBuilds,
  };
}

module.exports = { checkBundles, LIMIT_BYTES, ANGULAR_LIMIT_BYTES };

if (require.main === module) {
  checkBundles().then(
    (results) => {
      let ok = true;
      for (const r of results) {
        const good = r.bytes <= LIMIT_BYTES && r.rxjsBuilds.length === 1 && r.nodeOnlyInputs.length === 0 && r.facts.sameObservable;
        ok &&= good;
        console.log(
          `${good ? 'ok  ' : 'FAIL'} ${r.flavour.padEnd(8)} ${(r.bytes / 1024).toFixed(1)} KB minified (limit ${LIMIT_BYTES / 1024} KB); ` +
            `rxjs ${r.rxjsBuilds.join('+')}; codex-rx ${r.codexRxBuilds.join('+')}; instanceof Observable ${r.facts.sameObservable}; ` +
            `Node-only inputs ${r.nodeOnlyInputs.length}`,
        );
        console.log(
          '     ' +
            Object.entries(r.bytesByPackage)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KB`)
              .join(', '),
        );
      }
      const a = results.angular;
      const good = a.addedBytes <= ANGULAR_LIMIT_BYTES && a.nodeOnlyInputs.length === 0;
      ok &&= good;
      console.log(
        `${good ? 'ok  ' : 'FAIL'} codex-rx/angular adds ${(a.addedBytes / 1024).toFixed(1)} KB minified to an Angular app ` +
          `(${(a.baseBytes / 1024).toFixed(1)} -> ${(a.withBytes / 1024).toFixed(1)} KB; limit ${ANGULAR_LIMIT_BYTES / 1024} KB)`,
      );
      process.exitCode = ok ? 0 : 1;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
