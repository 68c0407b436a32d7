/**
 * codex-rx/angular against the oldest and the newest Angular major its peer range claims (19, and
 * npm's `latest`): the package as published is installed beside that `@angular/core`, a small app
 * (fixtures/majors-app.ts) is type-checked against it, bundled with esbuild, and run: provider,
 * client, a turn through `chatTurn`, the thread through `threadSignals`.
 *
 * It installs from the npm registry, so it runs only with CODEX_RX_ANGULAR_MAJORS=1.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { strictBrowserDiagnostics } from '../support/packed-consumer';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packed = require('../../scripts/lib/packed.js') as {
  ensureBuilt(): boolean;
  installPacked(nodeModules: string, options?: { linkDependencies?: boolean }): string;
};

const root = path.resolve(__dirname, '../..');
const enabled = process.env.CODEX_RX_ANGULAR_MAJORS === '1';
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const oldest = /(\d+)/.exec(pkg.peerDependencies['@angular/core'])![1]!;

(enabled ? describe : describe.skip).each([oldest, 'latest'])('codex-rx/angular on @angular/core@%s', (version) => {
  let dir: string;

  beforeAll(() => {
    packed.ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `codex-rx-ng${version}-`));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const npm = process.env.npm_execpath;
    const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
    execFileSync(
      cmd,
      [...args, 'install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `@angular/core@${version}`, 'rxjs@7'],
      {
        cwd: dir,
        stdio: 'pipe',
        timeout: 240_000,
      },
    );
    packed.installPacked(path.join(dir, 'node_modules'));
    fs.copyFileSync(path.join(__dirname, 'fixtures/majors-app.ts'), path.join(dir, 'app.ts'));
  }, 300_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs the major the peer range claims', () => {
    const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/@angular/core/package.json'), 'utf8')).version as string;
    if (version !== 'latest') expect(installed.split('.')[0]).toBe(version);
    expect(Number(installed.split('.')[0])).toBeGreaterThanOrEqual(Number(oldest));
  });

  it('type-checks an app on codex-rx/angular against it', () => {
    const problems = strictBrowserDiagnostics([path.join(dir, 'app.ts')])
      // The fixture's `process` and `setImmediate` are Node's, outside this check's lib.
      .filter((d) => !/'(process|setImmediate)'/.test(d.text))
      .map((d) => `${d.file}: ${d.text}`);
    expect(problems).toEqual([]);
  });

  it('bundles it and runs a turn through the signal helpers', async () => {
    await esbuild.build({
      entryPoints: [path.join(dir, 'app.ts')],
      absWorkingDir: dir,
      bundle: true,
      // As for a browser (codex-rx's Node transports stay out); the bundle runs under Node all the same.
      platform: 'browser',
      format: 'esm',
      outfile: path.join(dir, 'app.mjs'),
      logLevel: 'silent',
    });
    const out = execFileSync(process.execPath, [path.join(dir, 'app.mjs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const facts = JSON.parse(out.trim().split('\n').pop()!);
    expect(facts).toMatchObject({
      status: 'done',
      text: 'Echo: hello',
      deltas: 2,
      threadText: 'Echo: hello',
      turns: 1,
      sameClient: true,
      closed: true,
    });
    if (version !== 'latest') expect(facts.angular).toBe(version);
  });
});
