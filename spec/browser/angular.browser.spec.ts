/**
 * The Angular example in a real browser: the package as published is installed into
 * examples/angular, the app is built with Angular's application builder, served by its backend
 * (examples/angular/server.ts: static files, relay config, the codex-rx relay), and driven in
 * headless Chromium against the REAL `codex app-server` with the scripted model.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import type { Browser, Page } from 'playwright-core';
import { examplePolicy, startChatBackend, type ChatBackend } from '../../examples/angular/server';
import { StdioTransport, type RelayEvent } from '../../src/relay';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { describeInBrowser, launchChromium } from '../support/chromium';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packed = require('../../scripts/lib/packed.js') as {
  ensureBuilt(): boolean;
  installPacked(nodeModules: string, options?: { linkDependencies?: boolean }): string;
};

const root = path.resolve(__dirname, '../..');
const exampleRoot = path.join(root, 'examples', 'angular');

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describeInBrowser('the Angular example in headless Chromium', () => {
  let out: string;
  let stats: { inputs: Record<string, unknown> };
  let off: OfflineCodex;
  let backend: ChatBackend;
  let browser: Browser;
  let page: Page;
  const upstreams: StdioTransport[] = [];
  const events: RelayEvent[] = [];
  let sub: Subscription;

  const text = (p: Page, test: string) => p.locator(`[data-test=${test}]`).innerText();
  const turnEnded = (p: Page) => p.locator('[data-test=status]', { hasText: /^(done|failed)$/ }).waitFor();

  /** Sends a prompt from the page's form. */
  async function send(p: Page, prompt: string): Promise<void> {
    await p.locator('[data-test=send]:not([disabled])').waitFor();
    await p.fill('[data-test=prompt]', prompt);
    await p.click('[data-test=send]');
  }

  beforeAll(async () => {
    packed.ensureBuilt();
    packed.installPacked(path.join(exampleRoot, 'node_modules'), { linkDependencies: false });
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-angular-'));
    // A child process: the builder's workers and caches stay out of the test process.
    execFileSync(process.execPath, [path.join(root, 'scripts/build-angular-example.js'), out], {
      cwd: root,
      stdio: 'pipe',
      timeout: 300_000,
    });
    stats = JSON.parse(fs.readFileSync(path.join(out, 'stats.json'), 'utf8'));

    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
    backend = await startChatBackend({
      root: path.join(out, 'browser'),
      upstream: () => {
        const t = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
        upstreams.push(t);
        return t;
      },
      policy: examplePolicy(off.workspace),
    });
    sub = backend.relay.events$.subscribe((e) => events.push(e));
    browser = await launchChromium();
    page = await browser.newPage();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    sub?.unsubscribe();
    await backend?.close();
    await off?.dispose();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('is bundled with one rxjs and the ES modules of codex-rx, and nothing Node-only', () => {
    const inputs = Object.keys(stats.inputs);
    const rxjsBuilds = new Set(inputs.map((f) => /node_modules\/rxjs\/dist\/([^/]+)\//.exec(f)?.[1]).filter(Boolean));
    const codexRx = inputs.filter((f) => f.includes('node_modules/codex-rx/'));
    expect([...rxjsBuilds]).toHaveLength(1);
    expect(codexRx.length).toBeGreaterThan(0);
    expect(codexRx.filter((f) => !f.includes('node_modules/codex-rx/dist/esm/'))).toEqual([]);
    expect(
      inputs.filter((f) => /^node:|node_modules\/(ws|cross-spawn)\/|\/streams\/(stdio|websocket|node-transports)\.js$/.test(f)),
    ).toEqual([]);
  });

  it('connects through the relay, and its streams are the app’s rxjs Observables', async () => {
    await page.goto(backend.url);
    await page.locator('[data-test=connection]', { hasText: /^(connected|not connected)/ }).waitFor();
    expect(await text(page, 'connection')).toMatch(/^connected: codex-rx\/\S+/);
    expect(await text(page, 'rxjs')).toMatch(/: true$/);
    expect(events.filter((e) => e.type === 'open')).toEqual([
      { type: 'open', id: 1, origin: backend.url.replace(/\/$/, ''), user: 'default' },
    ]);
  });

  it('shows the answer as it streams, delta by delta', async () => {
    await send(page, 'STREAM 5 Hello from Codex in a real browser');
    await turnEnded(page);
    expect(await text(page, 'status')).toBe('done');
    expect(await text(page, 'answer')).toBe('Hello from Codex in a real browser');
    expect(await text(page, 'deltas')).toBe('5');
  });

  it('asks before running a command; Approve runs it and the file is written', async () => {
    await send(page, 'RUN echo approved > approved.txt && echo wrote');
    await page.locator('[data-test=approval]').waitFor();
    expect(await text(page, 'approval-command')).toContain('echo approved > approved.txt && echo wrote');
    expect(fs.existsSync(path.join(off.workspace, 'approved.txt'))).toBe(false);
    await page.click('[data-test=approve]');
    await turnEnded(page);
    expect(await text(page, 'status')).toBe('done');
    expect(await text(page, 'answer')).toBe('Command finished: wrote');
    expect(await text(page, 'command-status')).toBe('completed');
    expect(await page.locator('[data-test=approval]').count()).toBe(0);
    expect(fs.readFileSync(path.join(off.workspace, 'approved.txt'), 'utf8')).toBe('approved\n');
  });

  it('Decline: the command does not run and no file is written', async () => {
    await send(page, 'RUN echo declined > declined.txt && echo wrote');
    await page.locator('[data-test=approval]').waitFor();
    await page.click('[data-test=decline]');
    await turnEnded(page);
    expect(await text(page, 'status')).toBe('done');
    expect(await text(page, 'command-status')).toBe('declined');
    expect(fs.existsSync(path.join(off.workspace, 'declined.txt'))).toBe(false);
  });

  it('closing the tab stops its app-server', async () => {
    const { id } = events.filter((e) => e.type === 'open').pop() as { id: number };
    const pid = upstreams[upstreams.length - 1]!.pid!;
    expect(processGone(pid)).toBe(false);
    const closed = firstValueFrom(backend.relay.events$.pipe(filter((e) => e.type === 'closed' && e.id === id)));
    await page.close();
    expect(await closed).toMatchObject({ type: 'closed', id, answeredByRelay: 0 });
    expect(processGone(pid)).toBe(true);
    expect(backend.relay.connections).toBe(0);
  });

  it('a wrong token: the page reports auth-failed, and no app-server is started', async () => {
    const before = upstreams.length;
    const p = await browser.newPage();
    await p.route('**/codex-relay.json', (r) => r.fulfill({ json: { url: '/codex', token: 'not-the-token' } }));
    await p.goto(backend.url);
    await p.locator('[data-test=connection]', { hasText: /^not connected/ }).waitFor();
    expect(await text(p, 'connection')).toMatch(/^not connected: CodexTransportError \(auth-failed\): .*refused the token \(code 4401/);
    expect(upstreams.length).toBe(before);
    await p.close();
  });

  it('a page of another origin, even with the token: auth-failed (4403)', async () => {
    const config = (await (await fetch(new URL('/codex-relay.json', backend.url))).json()) as { token: string };
    const other = await startChatBackend({ root: path.join(out, 'browser') });
    try {
      const p = await browser.newPage();
      await p.route('**/codex-relay.json', (r) => r.fulfill({ json: { url: backend.relay.url, token: config.token } }));
      await p.goto(other.url);
      await p.locator('[data-test=connection]', { hasText: /^not connected/ }).waitFor();
      expect(await text(p, 'connection')).toMatch(
        /^not connected: CodexTransportError \(auth-failed\): .*refused this page's origin \(code 4403/,
      );
      expect(events.filter((e) => e.type === 'refused').pop()).toMatchObject({ status: 403, origin: other.url.replace(/\/$/, '') });
      await p.close();
    } finally {
      await other.close();
    }
  });
});
