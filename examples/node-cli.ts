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
    // Messages streamed as deltas are printed as they come; one that arrives whole (no deltas) when it completes.
    const streamed = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      client.chatEvents(prompt, { threadConfig: { cwd: process.cwd() } }).subscribe({
        next: (e) => {
          if (e.type === 'delta' && e.itemType === 'agentMessage') {
            streamed.add(e.itemId);
            process.stdout.write(e.delta);
          } else if (e.type === 'step' && e.step.item.type === 'commandExecution') process.stderr.write(`\n$ ${e.step.item.command}\n`);
          else if (e.type === 'step' && e.step.item.type === 'agentMessage' && !streamed.has(e.step.item.id))
            process.stdout.write(e.step.item.text);
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
