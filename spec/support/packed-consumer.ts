/**
 * The package as a dependency, for the package specs: dist/ built (once, under a lock) and the files
 * `npm pack` would publish installed in a temporary consumer's node_modules.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const packed = require('../../scripts/lib/packed.js') as {
  ensureBuilt(): boolean;
  packList(): { files: string[]; size: number; unpackedSize: number };
  installPacked(nodeModules: string, options?: { files?: string[]; linkDependencies?: boolean }): string;
};

export const root = path.resolve(__dirname, '../..');
export const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
export const ENTRY_POINTS = Object.keys(pkg.exports).filter((k) => k !== './package.json');

/** Builds dist/ if stale and installs the published files in a fresh consumer directory. */
export function installConsumer(): { consumer: string; files: string[] } {
  packed.ensureBuilt();
  const files = packed.packList().files;
  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-consumer-'));
  packed.installPacked(path.join(consumer, 'node_modules'), { files });
  return { consumer, files };
}

export function removeConsumer(consumer: string | undefined): void {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
}

/** Runs a script with node in `consumer` (codex-rx installed in its node_modules); its last line, parsed. */
export function runNodeIn(consumer: string, args: string[]): any {
  const out = execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', timeout: 30_000 });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * What a strict browser app (Bundler resolution, ES2022 and DOM libs, no ambient types) gets from
 * TypeScript for `files`: each diagnostic with its file.
 */
export function strictBrowserDiagnostics(files: string[]): Array<{ file: string; text: string }> {
  const program = ts.createProgram(files, {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ({ file: d.file?.fileName ?? '', text: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
}
