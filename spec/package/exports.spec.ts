/**
 * The published shape of the package: the files `npm pack` would ship, installed in a temporary
 * node_modules as a dependency, then loaded by package name from CommonJS, from ESM, and by
 * TypeScript (the strict type-checks under each module resolution are in consumer-types.spec.ts;
 * arethetypeswrong and publint in published-lint.spec.ts: files of their own, run in parallel).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENTRY_POINTS, installConsumer, pkg, removeConsumer, root, runNodeIn, strictBrowserDiagnostics } from '../support/packed-consumer';

let consumer: string;
let files: string[];
beforeAll(() => ({ consumer, files } = installConsumer()), 300_000);
afterAll(() => removeConsumer(consumer));

const runNode = (args: string[]): any => runNodeIn(consumer, args);

describe('the tarball', () => {
  it('holds dist/ (CommonJS and ES modules, each with declarations of its own format), the README, the changelog and package.json only', () => {
    const tops = new Set(files.map((f) => (f.includes('/') ? f.split('/').slice(0, 2).join('/') + '/' : f)));
    expect([...tops].sort()).toEqual(['CHANGELOG.md', 'README.md', 'dist/cjs/', 'dist/esm/', 'package.json']);
    expect(files.filter((f) => f.startsWith('dist/esm/') && !/\.(mjs|mjs\.map|d\.mts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/cjs/') && !/\.(js|js\.map|d\.ts)$/.test(f))).toEqual([]);
  });

  it('has no JavaScript for modules that hold only types, and no empty JavaScript at all', () => {
    // The generated protocol types are type-only modules: declarations, no .js.
    expect(files).toContain('dist/cjs/protocol/generated/v2/ThreadItem.d.ts');
    expect(files).toContain('dist/esm/protocol/generated/v2/ThreadItem.d.mts');
    expect(files.filter((f) => /\/protocol\/generated\/.*\.m?js(\.map)?$/.test(f))).toEqual([]);
    expect(files).not.toContain('dist/esm/models.mjs');
    for (const f of files.filter((f) => /\.m?js$/.test(f))) {
      const code = fs.readFileSync(path.join(root, f), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
      expect([
        f,
        /^\s*(export \{\};|"use strict";\s*Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);)?\s*$/.test(code),
      ]).toEqual([f, false]);
    }
  });

  it('does not ship the demo', () => {
    expect(files.filter((f) => /demo/.test(f))).toEqual([]);
  });

  it('holds every file that exports and typesVersions name, and builds before packing', () => {
    for (const sub of ENTRY_POINTS) {
      for (const format of ['import', 'require']) {
        for (const cond of ['types', 'default']) expect(files).toContain(pkg.exports[sub][format][cond].replace(/^\.\//, ''));
      }
    }
    for (const target of Object.values<Record<string, string>>(pkg.imports['#node-transports']).flatMap((c) => Object.values(c))) {
      expect(files).toContain(target.replace(/^\.\//, ''));
    }
    for (const [sub, [target]] of Object.entries<string[]>(pkg.typesVersions['*'])) {
      expect(ENTRY_POINTS).toContain(`./${sub}`);
      expect(files).toContain(target.replace(/^\.\//, ''));
    }
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  it('asks for the Node version the README names', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const major = /\(Node (\d+)\+\)/.exec(readme)?.[1];
    expect(major).toBeDefined();
    expect(pkg.engines.node).toBe(`>=${major}`);
  });
});

describe('the installed package', () => {
  it('resolves every entry point by name with require()', () => {
    const r = runNode([
      '-e',
      `const rx = require('codex-rx');
       const ops = require('codex-rx/operators');
       const protocol = require('codex-rx/protocol');
       const t = require('codex-rx/testing');
       const n = require('codex-rx/testing/node');
       const relay = require('codex-rx/relay');
       console.log(JSON.stringify({
         relay: [typeof relay.startRelay, typeof relay.generateRelayToken, typeof rx.RelayTransport],
         client: typeof rx.CodexClient, stdio: typeof rx.CodexClient.connectStdio({ command: ['true'] }).start,
         errors: [rx.CodexError, rx.CodexProtocolError, rx.CodexTransportError, rx.CodexTimeoutError, rx.CodexTurnInactiveError].map((c) => c.name),
         version: rx.PACKAGE_VERSION,
         ops: Object.keys(ops).sort(),
         protocol: { version: protocol.PROTOCOL_SERVER_VERSION, same: protocol.PROTOCOL_SERVER_VERSION === rx.PROTOCOL_SERVER_VERSION, parse: typeof protocol.parseServerVersion },
         testing: ['InMemoryTransport', 'turnStarted', 'itemCompleted', 'agentDelta', 'approvalRequest', 'turnCompleted'].map((k) => typeof t[k]),
         node: [typeof n.startOfflineCodex, typeof n.startScriptedModel, typeof n.createCodexHome, typeof n.defaultScript],
         from: require.resolve('codex-rx').split('node_modules/codex-rx')[1],
       }));`,
    ]);
    expect(r.client).toBe('function');
    expect(r.stdio).toBe('function');
    expect(r.relay).toEqual(['function', 'function', 'function']);
    expect(r.errors).toEqual(['CodexError', 'CodexProtocolError', 'CodexTransportError', 'CodexTimeoutError', 'CodexTurnInactiveError']);
    expect(r.version).toBe(pkg.version);
    expect(r.protocol).toEqual({
      version: JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json'), 'utf8')).version,
      same: true,
      parse: 'function',
    });
    expect(r.ops).toEqual([
      'coalesceTurnEvents',
      'eachValue',
      'forTurn',
      'inactivityTimeout',
      'interceptApprovals',
      'ofMethod',
      'responseTo',
      'takeUntilTurnEnd',
      'toSteps',
      'toThreadView',
      'toTurnEvents',
    ]);
    expect(r.testing).toEqual(Array(6).fill('function'));
    expect(r.node).toEqual(Array(4).fill('function'));
    expect(r.from).toBe('/dist/cjs/index.js');
  });

  it('resolves every entry point by name with import(), to real ES modules', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { CodexClient } from 'codex-rx';
       import { toSteps, responseTo } from 'codex-rx/operators';
       import { PROTOCOL_SERVER_VERSION as pinned } from 'codex-rx/protocol';
       import { InMemoryTransport, turnStarted } from 'codex-rx/testing';
       const node = await import('codex-rx/testing/node');
       const { startRelay } = await import('codex-rx/relay');
       const client = CodexClient.connectStdio({ command: ['true'] });
       console.log(JSON.stringify({
         url: import.meta.resolve('codex-rx').split('node_modules/codex-rx')[1],
         kinds: [typeof toSteps, typeof responseTo, typeof InMemoryTransport, typeof turnStarted, typeof node.startOfflineCodex, typeof client.start, typeof startRelay],
         method: turnStarted({ threadId: 'th', turnId: 'tu' }).method,
         pinned,
       }));`,
    ]);
    expect(r).toEqual({
      url: '/dist/esm/index.mjs',
      kinds: Array(7).fill('function'),
      method: 'turn/started',
      pinned: JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json'), 'utf8')).version,
    });
    const esm = fs.readFileSync(path.join(consumer, 'node_modules/codex-rx/dist/esm/client.mjs'), 'utf8');
    expect(esm).toMatch(/^export class CodexClient /m);
    expect(esm).not.toMatch(/\brequire\(/);
  });

  it('codex-rx/angular loads as an ES module beside @angular/core, and type-checks under bundler resolution', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `const ng = await import('codex-rx/angular');
       console.log(JSON.stringify({
         url: import.meta.resolve('codex-rx/angular').split('node_modules/codex-rx')[1],
         kinds: ['provideCodex', 'injectCodex', 'threadSignals', 'threadViewResource', 'chatTurn'].map((k) => typeof ng[k]),
         token: String(ng.CODEX_CLIENT),
       }));`,
    ]);
    expect(r).toEqual({
      url: '/dist/esm/angular/index.mjs',
      kinds: Array(5).fill('function'),
      token: 'InjectionToken codex-rx CODEX_CLIENT',
    });
    const file = path.join(consumer, 'angular-types.ts');
    fs.writeFileSync(
      file,
      `import { provideCodex, chatTurn, type ChatTurn, type ThreadSignals } from 'codex-rx/angular';
       import type { EnvironmentProviders } from '@angular/core';
       const providers: EnvironmentProviders = provideCodex({ relay: { url: '/codex', token: 't' } });
       export type Both = [ChatTurn, ThreadSignals];
       export { providers, chatTurn };\n`,
    );
    const problems = strictBrowserDiagnostics([file])
      .filter((d) => !d.file || !d.file.includes('/node_modules/') || d.file.includes('/codex-rx/'))
      .map((d) => d.text);
    expect(problems).toEqual([]);
  });

  it('loaded both ways, gives two copies whose errors match by name and whose Observables are the one rxjs', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import * as esm from 'codex-rx';
       import { InMemoryTransport } from 'codex-rx/testing';
       import { Observable } from 'rxjs';
       import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('codex-rx');
       const fromCjs = new cjs.CodexTransportError('x', { code: 'closed' });
       const client = new cjs.CodexClient(new InMemoryTransport());
       console.log(JSON.stringify({
         sameClass: cjs.CodexClient === esm.CodexClient,
         instanceofAcross: fromCjs instanceof esm.CodexTransportError,
         byName: esm.isCodexError(fromCjs, 'CodexTransportError') && esm.isTransportError(fromCjs, 'closed'),
         observable: client.chat('x') instanceof Observable,
       }));`,
    ]);
    expect(r).toEqual({ sameClass: false, instanceofAcross: false, byName: true, observable: true });
  });
});
