#!/usr/bin/env node
/**
 * Builds dist/ from src/ with the TypeScript compiler API:
 * - dist/esm: real ES modules (`import`, bundlers). Relative specifiers are rewritten to the full
 *   file names Node's ESM loader needs (`./client` -> `./client.js`, `./operators` -> `./operators/index.js`).
 * - dist/cjs: CommonJS (`require`).
 * - dist/types: declarations, shared by both (as rxjs does).
 * A module that holds only types has no JavaScript: it emits no `.js` (nor map) in either build, and
 * the build fails if any emitted module still refers to one.
 *
 * Both builds are separate copies of the code (the dual-package hazard): Node loads only one of
 * them unless an app mixes `require` and `import` of codex-rx; errors then still match by `name`
 * (`isCodexError`). rxjs resolves to one copy either way.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const src = path.join(root, 'src');

/**
 * `#node-transports` (imported by client.ts and streams/connection.ts): the Node transports and the
 * `diagnostics_channel`/`NODE_DEBUG` probe under the `node` condition; in browsers (any other
 * condition) stand-ins that throw, and no probe, so `ws`, `cross-spawn` and `node:*` stay out.
 */
const NODE_TRANSPORTS = {
  '#node-transports': { node: './streams/node-transports.js', default: './streams/browser-transports.js' },
};

function main() {
  const started = Date.now();
  fs.rmSync(dist, { recursive: true, force: true });
  const { fileNames, options } = readConfig();
  const common = { ...options, noEmit: false, sourceMap: true, inlineSources: true, declarationMap: false };

  // ESM first: its output tells which modules are type-only (an empty `export {};`).
  const esmRefs = new Map();
  const esmProgram = ts.createProgram(fileNames, {
    ...common,
    module: ts.ModuleKind.ES2020,
    outDir: path.join(dist, 'esm'),
    declaration: false,
  });
  const esmOut = new Map();
  check(esmProgram.emit(undefined, (file, text) => esmOut.set(file, text), undefined, false, { after: [esmSpecifiers(esmRefs)] }));
  const typeOnly = typeOnlyModules(esmOut);

  const cjsProgram = ts.createProgram({
    rootNames: fileNames,
    options: {
      ...common,
      module: ts.ModuleKind.CommonJS,
      outDir: path.join(dist, 'cjs'),
      declaration: true,
      declarationDir: path.join(dist, 'types'),
    },
    oldProgram: esmProgram,
  });
  const diagnostics = ts.getPreEmitDiagnostics(cjsProgram);
  if (diagnostics.length) fail(format(diagnostics));
  const cjsOut = new Map();
  check(cjsProgram.emit(undefined, (file, text) => cjsOut.set(file, text)));

  let written = 0;
  for (const [out, flavor] of [
    [esmOut, 'esm'],
    [cjsOut, 'cjs'],
  ]) {
    for (const [file, text] of out) {
      const isJs = /\.js(\.map)?$/.test(file);
      if (isJs && typeOnly.has(sourceOf(file.replace(/\.map$/, ''), flavor))) continue;
      if (isJs && file.endsWith('.js'))
        assertNoTypeOnlyRefs(file, flavor === 'esm' ? esmRefs.get(sourceOf(file, 'esm')) : cjsRequires(file, text), typeOnly);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      written++;
    }
  }
  // Each flavour is its own package scope: the nearest package.json says the module type, and is
  // where Node and bundlers read `imports` and `sideEffects` for these files.
  for (const [flavor, type] of [
    ['cjs', 'commonjs'],
    ['esm', 'module'],
  ]) {
    writeJson(path.join(dist, flavor, 'package.json'), { type, sideEffects: false, imports: NODE_TRANSPORTS });
  }
  console.log(
    `built dist/{esm,cjs,types}: ${written} files (${typeOnly.size} type-only modules emit no JavaScript) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

function readConfig() {
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(format([d])) };
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.build.json'), {}, host);
  if (parsed.errors.length) fail(format(parsed.errors));
  return parsed;
}

/** `after` transformer of the ESM build: relative specifiers get the file name Node's ESM loader needs. */
function esmSpecifiers(refs) {
  return (context) => (sourceFile) => {
    const f = context.factory;
    const mine = new Set();
    refs.set(sourceFile.fileName, mine);
    const fix = (literal) => {
      const spec = literal.text;
      if (!spec.startsWith('.')) return literal;
      const { specifier, target } = resolveRelative(sourceFile.fileName, spec);
      mine.add(target);
      return f.createStringLiteral(specifier);
    };
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, fix(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          fix(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0])) {
        return f.updateCallExpression(node, node.expression, node.typeArguments, [fix(node.arguments[0]), ...node.arguments.slice(1)]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

/** `./x` from `file`: `./x.js` for `x.ts`, `./x/index.js` for `x/index.ts`. */
function resolveRelative(file, spec) {
  const base = path.resolve(path.dirname(file), spec);
  if (/\.(js|json)$/.test(spec)) return { specifier: spec, target: base.replace(/\.js$/, '.ts') };
  if (fs.existsSync(base + '.ts')) return { specifier: spec + '.js', target: base + '.ts' };
  if (fs.existsSync(path.join(base, 'index.ts')))
    return { specifier: spec.replace(/\/$/, '') + '/index.js', target: path.join(base, 'index.ts') };
  fail(`${path.relative(root, file)}: cannot resolve '${spec}'`);
}

/** The relative `require`s of a CommonJS output file, as source paths. */
function cjsRequires(outFile, text) {
  const source = sourceOf(outFile, 'cjs');
  const found = new Set();
  for (const m of text.matchAll(/require\("(\.[^"]+)"\)/g)) found.add(resolveRelative(source, m[1]).target);
  return found;
}

function assertNoTypeOnlyRefs(outFile, targets, typeOnly) {
  for (const t of targets ?? []) {
    if (typeOnly.has(t)) {
      fail(`${path.relative(root, outFile)} loads ${path.relative(root, t)}, which has only types: import it with 'import type'`);
    }
  }
}

/**
 * Sources whose ESM output is empty, or only re-exports (`export * from`, `export * as ns from`)
 * other such modules, as generated barrels of types do. Repeated until nothing changes.
 */
function typeOnlyModules(esmOut) {
  const found = new Set();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [file, text] of esmOut) {
      const source = sourceOf(file, 'esm');
      if (!file.endsWith('.js') || found.has(source)) continue;
      const rest = text.replace(/^export \* (?:as [\w$]+ )?from "(\.[^"]+)";$/gm, (line, spec) =>
        found.has(resolveRelative(source, spec).target) ? '' : line,
      );
      if (isEmptyModule(rest)) {
        found.add(source);
        grew = true;
      }
    }
  }
  return found;
}

/** The emitted module has no statements (only `export {};`, the CommonJS marker, comments). */
function isEmptyModule(text) {
  const body = text
    .replace(/\/\/# sourceMappingURL=.*$/m, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/"use strict";/, '')
    .replace(/Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);/, '')
    .replace(/export \{\};/, '')
    .trim();
  return body === '';
}

/** The source file (absolute .ts path) of an output .js file. */
function sourceOf(outFile, flavor) {
  return path.join(src, path.relative(path.join(dist, flavor), outFile)).replace(/\.js$/, '.ts');
}

function check(result) {
  if (result.emitSkipped || result.diagnostics.length) fail(format(result.diagnostics) || 'emit skipped');
}

function format(diagnostics) {
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' });
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

function fail(message) {
  console.error(`build failed: ${message}`);
  process.exit(1);
}

main();
