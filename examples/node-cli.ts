/**
 * A tiny CLI on codex-rx: asks Codex one question in the current directory and streams the answer.
 *
 *   npx ts-node examples/node-cli.ts "What does this repository do?"    (or compile it with tsc)
 *
 * Approvals are declined unless CODEX_RX_APPROVE=1. Uses `codex app-server` from PATH, or
 * $CODEX_APP_SERVER_CMD.
 */
import { CodexClient, isCodexError } from 'codex-rx';

async function main(prompt: string): Promise<void> {
  const client = CodexClient.connectStdio({ inactivityTimeoutMs: 120_000 });
  client.setApprovalHandler((req) => {
    const ok = process.env.CODEX_RX_APPROVE === '1';
    process.stderr.write(`\n[${ok ? 'approved' : 'declined'}] ${req.kind === 'command' ? req.command : 'file change'}\n`);
    return ok ? 'accept' : 'decline';
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.chatEvents(prompt, { threadConfig: { cwd: process.cwd() } }).subscribe({
        next: (e) => {
          if (e.type === 'delta' && e.itemType === 'agentMessage') process.stdout.write(e.delta);
          else if (e.type === 'step' && e.step.stepType === 'exec') process.stderr.write(`\n$ ${String(e.step.data.command)}\n`);
          else if (e.type === 'completed') process.stdout.write('\n');
        },
        error: reject,
        complete: resolve,
      });
    });
  } finally {
    await client.close();
  }
}

const prompt = process.argv.slice(2).join(' ').trim();
if (!prompt) {
  process.stderr.write('usage: node-cli <prompt>\n');
  process.exitCode = 2;
} else {
  main(prompt).catch((err: unknown) => {
    const name = isCodexError(err) ? err.name : 'error';
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
