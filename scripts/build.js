#!/usr/bin/env node
/**
 * Builds dist/ from src/ with the TypeScript compiler API:
 * - dist/esm: real ES modules (`import`, bundlers) as `.mjs`, with their declarations as `.d.mts`.
 *   Relative specifiers are rewritten to the full file names Node's ESM loader (and TypeScript's
 *   node16 resolution) need (`./client` -> `./client.mjs`, `./operators` -> `./operators/index.mjs`).
 * - dist/cjs: CommonJS (`require`) as `.js`, with its declarations as `.d.ts`.
 * Each module format has declarations of its own format, so that TypeScript under node16 sees ESM
 * types for `import` and CommonJS types for `require` (no "masquerading"). The package root (no
 * `type`: `.js` is CommonJS) holds the one `imports` map (`#node-transports`).
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
    declaration: true,
  });
  const esmOut = new Map();
  check(
    esmProgram.emit(undefined, (file, text) => esmOut.set(file, text), undefined, false, {
      after: [esmSpecifiers(esmRefs)],
      afterDeclarations: [esmSpecifiers(new Map())],
    }),
  );
  const typeOnly = typeOnlyModules(esmOut);

  const cjsProgram = ts.createProgram({
    rootNames: fileNames,
    options: {
      ...common,
      module: ts.ModuleKind.CommonJS,
      outDir: path.join(dist, 'cjs'),
      declaration: true,
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
      const [outFile, outText] = flavor === 'esm' ? esmFile(file, text) : [file, text];
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      fs.writeFileSync(outFile, outText);
      written++;
    }
  }
  console.log(
    `built dist/{esm,cjs}: ${written} files (${typeOnly.size} type-only modules emit no JavaScript) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** An ESM output file under its `.mjs` / `.d.mts` name, its source map comment and `file` following. */
function esmFile(file, text) {
  if (file.endsWith('.d.ts')) return [file.replace(/\.d\.ts$/, '.d.mts'), text];
  if (file.endsWith('.js.map')) {
    const map = JSON.parse(text);
    map.file = map.file.replace(/\.js$/, '.mjs');
    return [file.replace(/\.js\.map$/, '.mjs.map'), JSON.stringify(map)];
  }
  if (file.endsWith('.js')) return [file.replace(/\.js$/, '.mjs'), text.replace(/(\/\/# sourceMappingURL=.*)\.js\.map$/m, '$1.mjs.map')];
  return [file, text];
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
      // `import("./x").T` in declarations
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        return f.updateImportTypeNode(
          node,
          f.updateLiteralTypeNode(node.argument, fix(node.argument.literal)),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
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

/** `./x` from `file`: `./x.mjs` for `x.ts`, `./x/index.mjs` for `x/index.ts` (the ESM build's names). */
function resolveRelative(file, spec) {
  const base = path.resolve(path.dirname(file), spec);
  if (/\.json$/.test(spec)) return { specifier: spec, target: base };
  // Already rewritten (TypeScript hands the declaration transformers nodes the JavaScript pass saw).
  if (/\.mjs$/.test(spec)) return { specifier: spec, target: base.replace(/\.mjs$/, '.ts') };
  if (/\.js$/.test(spec)) return { specifier: spec.replace(/\.js$/, '.mjs'), target: base.replace(/\.js$/, '.ts') };
  if (fs.existsSync(base + '.ts')) return { specifier: spec + '.mjs', target: base + '.ts' };
  if (fs.existsSync(path.join(base, 'index.ts')))
    return { specifier: spec.replace(/\/$/, '') + '/index.mjs', target: path.join(base, 'index.ts') };
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

function fail(message) {
  console.error(`build failed: ${message}`);
  process.exit(1);
}

main();
