/**
 * Every fenced `ts` sample of README.md and docs/*.md compiles, strictly, against the package's
 * own sources (each sample a module of its own, as a user would paste it). Only what a sample's
 * prose says the reader already has is declared for it (sample-context.d.ts): UI helpers, and the
 * client, ids and settings a section is about.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Sample {
  /** `README.md:51`: where the fence opens. */
  readonly where: string;
  readonly code: string;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (const doc of DOCS) {
    const text = fs.readFileSync(path.join(root, doc), 'utf8');
    for (const m of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
      out.push({ where: `${doc}:${text.slice(0, m.index).split('\n').length}`, code: m[1]! });
    }
  }
  return out;
}

describe('README and docs samples', () => {
  it('has samples to check', () => {
    expect(samples().length).toBeGreaterThan(20);
  });

  it('compiles every one of them', () => {
    const all = samples();
    const dir = fs.mkdtempSync(path.join(root, '.samples-'));
    try {
      const files = all.map((s, i) => {
        const file = path.join(dir, `sample-${i}.ts`);
        // `export {}`: a module, as a user's file is (top-level await, its own scope).
        fs.writeFileSync(file, `${s.code}\nexport {};\n`);
        return file;
      });
      const options: ts.CompilerOptions = {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'], // Node 20 has ES2023
        types: ['node', 'jest'], // docs/testing.md's samples are jest specs
        skipLibCheck: true,
        esModuleInterop: true,
        baseUrl: root,
        paths: {
          'codex-rx': ['src/index.ts'],
          'codex-rx/*': ['src/*'],
          '#node-transports': ['src/streams/node-transports.ts'],
        },
      };
      const program = ts.createProgram([...files, path.join(__dirname, 'sample-context.d.ts')], options);
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)))
        .map((d) => {
          const sample = all[files.indexOf(path.resolve(d.file!.fileName))]!;
          const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
          const [doc, start] = sample.where.split(':');
          return `${doc}:${Number(start) + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
