/**
 * The README's main command: `npm run demo` (here its last step, `node scripts/run-ts.js
 * demo/main.ts`, after the build) runs a streamed turn with an approval against the real server
 * and the scripted model; and Ctrl-C at its approval prompt, in a real terminal, stops it at once.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packed = require('../../scripts/lib/packed.js') as { ensureBuilt(): boolean };

const root = path.resolve(__dirname, '../..');
jest.setTimeout(120_000);

beforeAll(() => packed.ensureBuilt(), 300_000);

function run(command: string, args: string[], onOutput?: (text: string, write: (s: string) => void) => void) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    const take = (c: Buffer) => {
      out += c.toString();
      onOutput?.(out, (s) => child.stdin.write(s));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
    if (!onOutput) child.stdin.end();
  });
}

describe('the demo', () => {
  it('runs a streamed turn with an approval (accepted: stdin is not a terminal) and exits 0', async () => {
    const { code, out } = await run(process.execPath, ['scripts/run-ts.js', 'demo/main.ts']);
    expect(out).toContain('approval: Codex wants to run `echo hello from codex-rx > demo.txt`');
    expect(out).toContain('accepted automatically (stdin is not a terminal)');
    expect(out).toContain('Done. I ran the command and demo.txt now holds a greeting from codex-rx.');
    expect(out).toContain('demo.txt: "hello from codex-rx"');
    expect(code).toBe(0);
  });

  it('in a terminal, the first Ctrl-C at the approval prompt stops it (exit 130), leaving nothing running', async () => {
    let sent = false;
    // `script` gives the demo a real terminal (a pty); Ctrl-C is the byte 0x03 typed into it.
    const { code, out } = await run(
      'script',
      ['-qfec', `${process.execPath} scripts/run-ts.js demo/main.ts`, '/dev/null'],
      (text, write) => {
        if (!sent && text.includes('allow it? [y/N]')) {
          sent = true;
          write('\x03');
        }
      },
    );
    expect(sent).toBe(true);
    expect(out).toContain('codex-rx demo: interrupted');
    expect(out).not.toContain('Done. I ran the command');
    expect(code).toBe(130);
  });
});
