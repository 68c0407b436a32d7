/**
 * The tarball `npm pack` makes, as the package linters see it: no finding by arethetypeswrong
 * (every entry point under every resolution) nor by publint (strict).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packed, root } from '../support/packed-consumer';

beforeAll(() => packed.ensureBuilt(), 300_000);

describe('the tarball', () => {
  it('has no finding by arethetypeswrong nor by publint (strict)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-tarball-'));
    try {
      // dist/ is current (beforeAll): pack it as it is.
      execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
      const tarball = path.join(
        dir,
        fs.readdirSync(dir).find((f) => f.endsWith('.tgz'))!,
      );
      const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
      // attw exits non-zero on any problem, under every resolution of every entry point
      const attw = execFileSync(bin('attw'), [tarball, '--format', 'table-flipped'], { encoding: 'utf8', timeout: 240_000 });
      expect(attw).toContain('No problems found');
      execFileSync('tar', ['xzf', tarball, '-C', dir]);
      const publint = execFileSync(bin('publint'), [path.join(dir, 'package'), '--strict'], { encoding: 'utf8', timeout: 120_000 });
      expect(publint).not.toMatch(/Suggestions:|Warnings:|Errors:/);
      expect(publint).toMatch(/All good!|Linting\.\.\./);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
