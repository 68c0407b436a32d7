/**
 * The installed package type-checks for a strict consumer under every module resolution, and
 * TypeScript takes the declarations of the format it loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { installConsumer, removeConsumer, root } from '../support/packed-consumer';

let consumer: string;
beforeAll(() => ({ consumer } = installConsumer()), 300_000);
afterAll(() => removeConsumer(consumer));

describe('the installed package', () => {
  // A strict consumer: skipLibCheck off (every declaration the package ships that it reaches is
  // checked), no DOM lib (a Node service), each module resolution, ESM and CommonJS under node16.
  it.each([
    ['node10', 'ts'],
    ['node16', 'mts'],
    ['node16', 'cts'],
    ['bundler', 'ts'],
  ])('type-checks every entry point under moduleResolution %s from a .%s file, with skipLibCheck off and no DOM lib', (resolution, ext) => {
    const file = path.join(consumer, `types-${resolution}.${ext}`);
    fs.writeFileSync(
      file,
      `import { CodexClient, type ChatResult } from 'codex-rx';
       import { toSteps } from 'codex-rx/operators';
       import { PROTOCOL_SERVER_VERSION, type ThreadItem } from 'codex-rx/protocol';
       const item: ThreadItem | null = null;
       import { InMemoryTransport, FakeAppServer } from 'codex-rx/testing';
       import { startOfflineCodex } from 'codex-rx/testing/node';
       import { startRelay, relayPolicy, type RelayOptions } from 'codex-rx/relay';
       const relayOptions: Partial<RelayOptions> = { path: '/codex', policy: relayPolicy() };
       const client: CodexClient = new CodexClient(new InMemoryTransport());
       const done: Promise<ChatResult> = client.chatOnce('x');
       export { client, done, toSteps, startOfflineCodex, startRelay, relayOptions, item, PROTOCOL_SERVER_VERSION, FakeAppServer };\n`,
    );
    const options: ts.CompilerOptions = {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules/@types')],
      ...(resolution === 'node10'
        ? { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }
        : resolution === 'node16'
          ? { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }
          : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }),
    };
    const program = ts.createProgram([file], options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => !d.file || !d.file.fileName.includes('/node_modules/') || d.file.fileName.includes('/codex-rx/'))
      .map((d) => `${d.file ? path.relative(consumer, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
    // and the declarations TypeScript took are those of the format it loads
    const codexRx = program
      .getSourceFiles()
      .map((f) => f.fileName)
      .filter((f) => f.includes('/node_modules/codex-rx/'));
    const expected = ext === 'mts' || resolution === 'bundler' ? /\.d\.mts$/ : /\.d\.ts$/;
    expect(codexRx.filter((f) => !expected.test(f))).toEqual([]);
  });
});
