// A tiny NDJSON JSON-RPC peer for transport tests: answers every request with
// {echo: params, method}, writes one stderr line per request, exits with code 3 on method 'crash',
// sends a notification on method 'notify-me', and exits cleanly when stdin ends.
'use strict';
const readline = require('node:readline');

process.stderr.write('echo-server ready\n');
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    process.stderr.write('bad line: ' + line + '\n');
    return;
  }
  process.stderr.write('got ' + msg.method + '\n');
  if (msg.method === 'crash') process.exit(3);
  if (msg.method === 'notify-me')
    process.stdout.write(JSON.stringify({ method: 'hello', params: { n: 1 }, emittedAtMs: Date.now() }) + '\n');
  if (msg.id !== undefined) {
    process.stdout.write(JSON.stringify({ id: msg.id, result: { echo: msg.params ?? null, method: msg.method } }) + '\n');
  }
});
rl.on('close', () => process.exit(0));
