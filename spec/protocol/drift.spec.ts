/**
 * Drift check: regenerates the protocol types from the pinned `codex app-server generate-ts` into a
 * temp directory and compares every file with the committed src/protocol/generated/ and
 * src/protocol/*.generated.ts. It prints both versions and the methods and notifications added or
 * removed, and fails listing the files that differ: run `npm run gen:protocol` after changing the
 * pinned server version.
 *
 * With CODEX_RX_CODEX_PREFIX (npm run test:latest) it generates from that other server instead: of
 * another version, it only reports what an upgrade to it would change.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protocolSurface, surfaceReport } from '../support/protocol-surface';

const root = path.resolve(__dirname, '../..');
const committed = path.join(root, 'src/protocol');
const otherServer = process.env.CODEX_RX_CODEX_PREFIX;
let out: string;

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found.sort();
}

const generatedFiles = (dir: string) => [
  ...filesUnder(path.join(dir, 'generated')).map((f) => `generated/${f}`),
  ...filesUnder(path.join(dir, 'generated-experimental')).map((f) => `generated-experimental/${f}`),
  ...fs.readdirSync(dir).filter((f) => f.endsWith('.generated.ts')),
];

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-drift-'));
  execFileSync(process.execPath, [path.join(root, 'scripts/gen-protocol.js'), '--check', out], {
    cwd: root,
    stdio: 'pipe',
    timeout: 120_000,
  });
}, 150_000);

afterAll(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

describe('generated protocol types', () => {
  it('match what the pinned server generates (printing both versions and the methods added or removed)', () => {
    const [ours, theirs] = [protocolSurface(committed), protocolSurface(out)];
    const report = surfaceReport(ours, theirs);
    console.log(report);
    const fresh = generatedFiles(out);
    expect(fresh.length).toBeGreaterThan(100);
    const differing: string[] = [];
    for (const f of new Set([...fresh, ...generatedFiles(committed)])) {
      const a = path.join(out, f);
      const b = path.join(committed, f);
      if (!fs.existsSync(a)) differing.push(`${f} (committed, no longer generated)`);
      else if (!fs.existsSync(b)) differing.push(`${f} (generated, not committed)`);
      else if (!fs.readFileSync(a).equals(fs.readFileSync(b))) differing.push(f);
    }
    // An upgrade check against another version: the report above is the result.
    if (otherServer && theirs.version !== ours.version) return;
    // An empty list is the pass; otherwise the message names the versions and every file to regenerate.
    expect({ report, differing }).toEqual({ report, differing: [] });
  });
});

describe('surfaceReport', () => {
  it('names both versions and the methods of each kind added or removed', () => {
    const old = { version: '1.0.0', requests: ['a/x', 'a/y'], notifications: ['n/1'], serverRequests: ['s/1'] };
    const now = { version: '1.1.0', requests: ['a/x', 'a/z'], notifications: ['n/1', 'n/2'], serverRequests: ['s/1'] };
    expect(surfaceReport(old, now)).toBe(
      [
        'protocol types: committed 1.0.0, generated now by 1.1.0',
        '  client requests:',
        '    added:   a/z',
        '    removed: a/y',
        '  notifications:',
        '    added:   n/2',
        '  server requests: unchanged',
      ].join('\n'),
    );
  });

  it('reads the methods of a generated protocol directory', () => {
    const surface = protocolSurface(committed);
    expect(surface.requests).toEqual(expect.arrayContaining(['thread/start', 'turn/start', 'modelProvider/default/set']));
    expect(surface.notifications).toEqual(expect.arrayContaining(['turn/completed', 'thread/search/partial']));
    expect(surface.serverRequests).toEqual(expect.arrayContaining(['item/commandExecution/requestApproval']));
  });
});
