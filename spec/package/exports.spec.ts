/**
 * The published shape of the package: `npm run build` output resolved by package name through the
 * `exports` map, from CommonJS and ESM, and the browser-bundle guarantee (Node-only code is loaded
 * only by the Node transports).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
let consumer: string;

/** Runs a script with node in a directory whose node_modules/codex-rx links to this repo. */
function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', timeout: 30_000 });
}

function lastJson(out: string): any {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { cwd: root, stdio: 'pipe', timeout: 120_000 });
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-consumer-'));
  fs.mkdirSync(path.join(consumer, 'node_modules'));
  fs.symlinkSync(root, path.join(consumer, 'node_modules', 'codex-rx'), 'dir');
}, 120_000);

afterAll(() => {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
});

describe('the built package', () => {
  it('emits CommonJS, declarations and ESM wrappers for every entry point', () => {
    for (const rel of [
      'cjs/index.js',
      'cjs/operators/index.js',
      'cjs/protocol/index.js',
      'cjs/testing/index.js',
      'cjs/testing/node.js',
      'cjs/demo/main.js',
    ]) {
      expect(fs.existsSync(path.join(root, 'dist', rel))).toBe(true);
    }
    for (const rel of ['index.d.ts', 'operators/index.d.ts', 'protocol/index.d.ts', 'testing/index.d.ts', 'testing/node.d.ts']) {
      expect(fs.existsSync(path.join(root, 'dist/types', rel))).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(root, 'dist/esm/package.json'), 'utf8'))).toEqual({ type: 'module' });
    // The ESM face imports the CommonJS build: one copy of the code.
    expect(fs.readFileSync(path.join(root, 'dist/esm/index.js'), 'utf8')).toContain('import cjs from "../cjs/index.js"');
  });

  it('resolves every entry point by name with require()', () => {
    const out = runNode([
      '-e',
      `const rx = require('codex-rx');
       const ops = require('codex-rx/operators');
       const protocol = require('codex-rx/protocol');
       const t = require('codex-rx/testing');
       const n = require('codex-rx/testing/node');
       console.log(JSON.stringify({
         client: typeof rx.CodexClient, stdio: typeof rx.CodexClient.connectStdio,
         errors: [rx.CodexError, rx.CodexProtocolError, rx.CodexTransportError, rx.CodexTimeoutError, rx.CodexTurnInactiveError].map((c) => c.name),
         version: rx.PACKAGE_VERSION,
         ops: Object.keys(ops).sort(),
         protocol: { version: protocol.PROTOCOL_SERVER_VERSION, same: protocol.PROTOCOL_SERVER_VERSION === rx.PROTOCOL_SERVER_VERSION, parse: typeof protocol.parseServerVersion },
         testing: ['InMemoryTransport', 'turnStarted', 'itemCompleted', 'agentDelta', 'approvalRequest', 'turnCompleted'].map((k) => typeof t[k]),
         node: [typeof n.startOfflineCodex, typeof n.startScriptedModel, typeof n.createCodexHome, typeof n.defaultScript],
       }));`,
    ]);
    const r = lastJson(out);
    expect(r.client).toBe('function');
    expect(r.stdio).toBe('function');
    expect(r.errors).toEqual(['CodexError', 'CodexProtocolError', 'CodexTransportError', 'CodexTimeoutError', 'CodexTurnInactiveError']);
    expect(r.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    expect(r.protocol).toEqual({
      version: JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json'), 'utf8')).version,
      same: true,
      parse: 'function',
    });
    expect(r.ops).toEqual([
      'forTurn',
      'inactivityTimeout',
      'interceptApprovals',
      'ofMethod',
      'responseTo',
      'takeUntilTurnEnd',
      'toSteps',
      'toTurnEvents',
    ]);
    expect(r.testing).toEqual(Array(6).fill('function'));
    expect(r.node).toEqual(Array(4).fill('function'));
  });

  it('resolves every entry point by name with import(), sharing the classes of require()', () => {
    const out = runNode([
      '--input-type=module',
      '-e',
      `import { CodexClient, CodexTransportError } from 'codex-rx';
       import { toSteps, responseTo } from 'codex-rx/operators';
       import { PROTOCOL_SERVER_VERSION as pinned } from 'codex-rx/protocol';
       import { InMemoryTransport, turnStarted } from 'codex-rx/testing';
       import { createRequire } from 'node:module';
       const req = createRequire(import.meta.url);
       const node = await import('codex-rx/testing/node');
       console.log(JSON.stringify({
         sameClient: req('codex-rx').CodexClient === CodexClient,
         sameError: req('codex-rx').CodexTransportError === CodexTransportError,
         sameOperator: req('codex-rx/operators').toSteps === toSteps,
         kinds: [typeof responseTo, typeof InMemoryTransport, typeof turnStarted, typeof node.startOfflineCodex],
         method: turnStarted({ threadId: 'th', turnId: 'tu' }).method,
         sameProtocol: req('codex-rx/protocol').PROTOCOL_SERVER_VERSION === pinned,
       }));`,
    ]);
    expect(lastJson(out)).toEqual({
      sameClient: true,
      sameError: true,
      sameOperator: true,
      kinds: ['function', 'function', 'function', 'function'],
      method: 'turn/started',
      sameProtocol: true,
    });
  });

  it('loads ws, cross-spawn and child_process only when a Node transport is asked for', () => {
    const out = runNode([
      '-e',
      `const nodeOnly = () => ({
         files: Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/](ws|cross-spawn)[\\\\/]|[\\\\/]streams[\\\\/](stdio|websocket)\\.js$/.test(f)).length,
         childProcess: process.moduleLoadList.includes('NativeModule child_process'),
       });
       const rx = require('codex-rx');
       require('codex-rx/operators');
       require('codex-rx/testing');
       const t = require('codex-rx/testing');
       new rx.CodexClient(new t.InMemoryTransport());
       const before = nodeOnly();
       rx.CodexClient.connectWebSocket({ url: 'ws://127.0.0.1:9' });
       const afterWs = nodeOnly();
       rx.CodexClient.connectStdio({ command: ['true'] });
       const afterStdio = nodeOnly();
       console.log(JSON.stringify({ before, afterWs, afterStdio }));`,
    ]);
    const r = lastJson(out);
    expect(r.before).toEqual({ files: 0, childProcess: false });
    expect(r.afterWs.files).toBeGreaterThan(0);
    expect(r.afterStdio.childProcess).toBe(true);
  });

  it('declares the browser field that drops the Node transports from bundles', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.browser).toEqual({
      './dist/cjs/streams/stdio.js': false,
      './dist/cjs/streams/websocket.js': false,
      ws: false,
      'cross-spawn': false,
    });
    for (const sub of ['.', './operators', './protocol', './testing', './testing/node']) {
      for (const cond of ['types', 'import', 'require']) {
        expect(fs.existsSync(path.join(root, pkg.exports[sub][cond]))).toBe(true);
      }
    }
  });
});
