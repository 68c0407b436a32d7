/**
 * `npm run demo`: one streaming turn through the REAL `codex app-server`, using the built package
 * by name (`codex-rx`, `codex-rx/testing/node`) as an app would. Not part of the package: run from
 * the repository by scripts/demo.js.
 *
 * By default the server runs offline against the bundled scripted model (no account, no network):
 * the turn reasons, asks to run a shell command (you approve it at the terminal, or it is accepted
 * automatically when stdin is not a terminal), and streams its final answer. `--real [prompt]`
 * runs the same against your own Codex setup (your CODEX_HOME and credentials).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { lastValueFrom, tap } from 'rxjs';
import { CodexClient, type ApprovalDecision, type ApprovalRequest, type ChatResult, type TurnEvent } from 'codex-rx';
import { startOfflineCodex, type ModelScript } from 'codex-rx/testing/node';

const DEMO_COMMAND = 'echo hello from codex-rx > demo.txt';
const DEFAULT_REAL_PROMPT = 'In two sentences, say what an RxJS Observable is. Do not run any command.';

/** The scripted model's part of the demo: reasoning and a command first, then a streamed answer. */
const demoScript: ModelScript = (req) => {
  const out = req.lastFunctionCallOutput;
  if (!out) {
    return {
      delayMs: 400,
      deltaChunks: 8,
      deltaDelayMs: 40,
      items: [
        { type: 'reasoning', summary: 'The user wants a file written in the workspace. That needs a shell command, so I will ask first.' },
        { type: 'exec', command: DEMO_COMMAND, escalated: true, justification: 'Write demo.txt in the workspace', login: false },
      ],
    };
  }
  const code = /exited with code (\d+)/.exec(out.output)?.[1];
  const text =
    code === '0'
      ? 'Done. I ran the command and demo.txt now holds a greeting from codex-rx. Every word you just read arrived as a streamed delta.'
      : `The command did not run (${code === undefined ? 'it was declined' : `exit code ${code}`}), so I left the workspace as it was.`;
  return { delayMs: 300, deltaChunks: 12, deltaDelayMs: 40, items: [{ type: 'message', text }] };
};

interface Ui {
  readonly tty: boolean;
  spin(label: string): void;
  stop(): void;
  write(text: string): void;
  line(text?: string): void;
}

function terminalUi(): Ui {
  const tty = process.stdout.isTTY === true;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let timer: NodeJS.Timeout | null = null;
  let atLineStart = true;
  const ui: Ui = {
    tty,
    spin(label) {
      ui.stop();
      if (!atLineStart) ui.line();
      if (!tty) {
        process.stdout.write(`… ${label}\n`);
        return;
      }
      let i = 0;
      const draw = () => process.stdout.write(`\r${frames[i++ % frames.length]} ${label}`);
      draw();
      timer = setInterval(draw, 80);
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = null;
      process.stdout.write('\r\x1b[2K');
    },
    write(text) {
      ui.stop();
      process.stdout.write(text);
      if (text.length) atLineStart = text.endsWith('\n');
    },
    line(text = '') {
      ui.write(text + '\n');
    },
  };
  return ui;
}

const dim = (s: string, tty: boolean) => (tty ? `\x1b[2m${s}\x1b[22m` : s);
const bold = (s: string, tty: boolean) => (tty ? `\x1b[1m${s}\x1b[22m` : s);

async function ask(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  // In a terminal readline reads Ctrl-C itself, and without a listener only pauses: the first
  // Ctrl-C at the prompt did nothing. Hand it to the process, whose handler stops the demo.
  rl.on('SIGINT', () => {
    rl.close();
    process.kill(process.pid, 'SIGINT');
  });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function approvalHandler(ui: Ui): (req: ApprovalRequest) => Promise<ApprovalDecision> {
  return async (req) => {
    // The plain commands the model asked for (`req.command` is the shell-wrapped line the server runs).
    const commands = req.kind === 'command' ? (req.commandActions ?? []).map((a) => a.command) : [];
    const what = req.kind === 'command' ? `run \`${commands.join(' && ') || (req.command ?? '?')}\`` : 'change files';
    ui.line(`${bold('approval', ui.tty)}: Codex wants to ${what}${req.reason ? ` (${req.reason})` : ''}`);
    if (process.stdin.isTTY === true) {
      const yes = await ask('  allow it? [y/N] ');
      ui.line(yes ? '  accepted' : '  declined');
      return yes ? 'accept' : 'decline';
    }
    ui.line('  accepted automatically (stdin is not a terminal)');
    return 'accept';
  };
}

/**
 * One turn, rendered live. `failOnRetry`: a model the server has to retry is reported at once as
 * unreachable (a real model without network or credentials), instead of after the server's retries.
 */
async function runTurn(
  client: CodexClient,
  prompt: string,
  cwd: string,
  ui: Ui,
  approvalPolicy: string,
  failOnRetry = false,
): Promise<void> {
  const started = Date.now();
  client.setApprovalHandler(approvalHandler(ui));

  await client.initialize();
  const models = await client.listModels();
  ui.line(`models: ${models.data.map((m) => m.model).join(', ') || '(none listed)'}`);

  // The server reports retries (e.g. no network or no credentials) as `retry` events, and errors it gives up on as `error`.
  let lastProblem = '';
  const problem = (message: string, retrying: boolean) => {
    const text = `server: ${message}${retrying ? ' (retrying)' : ''}`;
    if (text !== lastProblem) ui.line(dim(text, ui.tty));
    lastProblem = text;
  };

  ui.line(`${bold('you', ui.tty)}: ${prompt}`);
  ui.spin('waiting for Codex');
  const streamed = new Set<string>();
  let steps = 0;
  let result: ChatResult | null = null;
  const render = (e: TurnEvent): void => {
    switch (e.type) {
      case 'started':
        ui.spin('thinking');
        break;
      case 'delta':
        if (e.itemType !== 'agentMessage' && e.itemType !== 'reasoning') break;
        if (!streamed.has(e.itemId)) {
          streamed.add(e.itemId);
          ui.write(e.itemType === 'reasoning' ? dim('thinking: ', ui.tty) : `${bold('codex', ui.tty)}: `);
        }
        ui.write(e.itemType === 'reasoning' ? dim(e.delta, ui.tty) : e.delta);
        break;
      case 'step': {
        const s = e.step;
        if (s.itemType === 'userMessage') break;
        steps++;
        if (s.itemId && streamed.has(s.itemId)) ui.line();
        else if (s.stepType === 'thinking') ui.line(dim(`thinking: ${s.text ?? ''}`, ui.tty));
        else if (s.item.type === 'commandExecution') {
          const d = s.item;
          const asked = d.commandActions.map((a) => a.command).join(' && ') || d.command;
          ui.line(`${bold('exec', ui.tty)}: ${asked} → ${d.status}${d.exitCode != null ? ` (exit ${d.exitCode})` : ''}`);
        } else if (s.stepType === 'codex') ui.line(`${bold('codex', ui.tty)}: ${s.text ?? ''}`);
        else ui.line(`${s.stepType}: ${s.text ?? ''}`);
        if (s.stepType !== 'codex') ui.spin('working');
        break;
      }
      case 'approval':
        // The approval handler asks; stop the spinner so the question is readable.
        ui.stop();
        break;
      case 'retry':
        if (failOnRetry) throw new Error(`model unreachable: ${e.error.message}`);
        problem(e.error.message, true);
        break;
      case 'error':
        problem(e.error.message, false);
        break;
      case 'completed':
        result = e.result;
        ui.stop();
        break;
    }
  };
  try {
    await lastValueFrom(client.chatEvents(prompt, { threadConfig: { cwd, approvalPolicy } }).pipe(tap(render)));
  } finally {
    ui.stop();
  }

  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  const usage = (result as ChatResult | null)?.usage?.total;
  const t = usage ? { input: usage.inputTokens, output: usage.outputTokens, total: usage.totalTokens } : null;
  ui.line();
  ui.line(
    `${bold('summary', ui.tty)}: ${steps} step${steps === 1 ? '' : 's'}, ` +
      `${t ? `${t.total} tokens (${t.input} in, ${t.output} out)` : 'token usage not reported'}, ${elapsed} s` +
      `${result ? `, turn ${(result as ChatResult).turnId}` : ''}`,
  );
}

async function offline(ui: Ui): Promise<void> {
  ui.line('codex-rx demo: the real codex app-server, offline, against the bundled scripted model');
  const off = await startOfflineCodex({ approvalPolicy: 'on-request', script: demoScript });
  cleanup = () => off.dispose();
  try {
    const client = off.client();
    await runTurn(client, `Please write a greeting into demo.txt (run: ${DEMO_COMMAND})`, off.workspace, ui, 'on-request');
    const file = path.join(off.workspace, 'demo.txt');
    ui.line(`demo.txt: ${fs.existsSync(file) ? JSON.stringify(fs.readFileSync(file, 'utf8').trim()) : '(not written)'}`);
  } finally {
    await off.dispose();
  }
}

async function real(ui: Ui, prompt: string): Promise<void> {
  ui.line('codex-rx demo: your own Codex (CODEX_HOME and credentials), a real model');
  // No command: the @openai/codex installed beside codex-rx, else `codex` on the PATH (not npm run's PATH).
  const client = CodexClient.connectStdio({ inactivityTimeoutMs: 120_000 });
  cleanup = () => client.close();
  try {
    // Without credentials the first turn would only retry: say so now.
    const { account, requiresOpenaiAuth } = await client.request('account/read', { refreshToken: false });
    if (!account && requiresOpenaiAuth)
      throw new Error('not logged in: run `npx codex login` (or pipe an API key to `npx codex login --with-api-key`), then try again');
    await runTurn(client, prompt, process.cwd(), ui, 'on-request', true);
  } finally {
    await client.close();
  }
}

/** Stops whatever the demo started (used on Ctrl-C / SIGTERM). */
let cleanup: (() => Promise<void>) | null = null;

export async function main(argv: string[]): Promise<number> {
  const ui = terminalUi();
  const realIdx = argv.indexOf('--real');
  const onSignal = () => {
    ui.stop();
    process.stderr.write('codex-rx demo: interrupted\n');
    const done = () => process.exit(130);
    (cleanup ? cleanup() : Promise.resolve()).then(done, done);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (realIdx >= 0)
      await real(
        ui,
        argv
          .slice(realIdx + 1)
          .join(' ')
          .trim() || DEFAULT_REAL_PROMPT,
      );
    else await offline(ui);
    return 0;
  } catch (err) {
    ui.stop();
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`codex-rx demo: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = process.exitCode || code;
  });
}
