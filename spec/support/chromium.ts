/**
 * Headless Chromium for the browser specs: Debian's `chromium` (installed by .ci/run when missing),
 * driven by playwright-core. Playwright gives each launch a fresh profile directory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** CHROMIUM_PATH, else /usr/bin/chromium, else `chromium` on PATH; null when there is none. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Flags for a closed network: no background fetches, no QUIC, no sandbox (root). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error("no Chromium: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH");
  }
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}

/**
 * `describe` where Chromium is installed, or in CI (where its absence must fail); elsewhere the
 * browser specs are skipped with a note, so `npm test` works on a machine without Chromium.
 */
export const describeInBrowser: jest.Describe = (() => {
  if (findChromium() || process.env.CI) return describe;
  console.warn('browser specs skipped: no Chromium here (apt-get install -y chromium, or set CHROMIUM_PATH); in CI they run');
  return describe.skip;
})();
