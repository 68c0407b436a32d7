/**
 * Drift check: regenerates the protocol types from the pinned `codex app-server generate-ts` into a
 * temp directory and compares every file with the committed src/protocol/generated/ and
 * src/protocol/method-map.generated.ts. Fails listing the files that differ: run
 * `npm run gen:protocol` after changing the pinned server version.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const committed = path.join(root, 'src/protocol');
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
  it('match what the pinned server generates', () => {
    const fresh = filesUnder(path.join(out, 'generated'));
    const ours = filesUnder(path.join(committed, 'generated'));
    expect(fresh.length).toBeGreaterThan(100);
    const differing: string[] = [];
    for (const f of new Set([...fresh, ...ours])) {
      const a = path.join(out, 'generated', f);
      const b = path.join(committed, 'generated', f);
      if (!fs.existsSync(a)) differing.push(`generated/${f} (committed, no longer generated)`);
      else if (!fs.existsSync(b)) differing.push(`generated/${f} (generated, not committed)`);
      else if (!fs.readFileSync(a).equals(fs.readFileSync(b))) differing.push(`generated/${f}`);
    }
    const map = 'method-map.generated.ts';
    if (!fs.readFileSync(path.join(out, map)).equals(fs.readFileSync(path.join(committed, map)))) differing.push(map);
    // An empty list is the pass; otherwise the message names every file to regenerate.
    expect(differing).toEqual([]);
  });
});
