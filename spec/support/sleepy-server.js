// A server that does not read its stdin for a while (or ever): `node sleepy-server.js <pauseMs|never> <log>`.
// Once it reads, it appends each request's method to <log> and answers it with {ok: true}.
'use strict';
const fs = require('node:fs');
const [pause, log] = process.argv.slice(2);
process.stdin.pause();
process.stderr.write('sleepy ready\n');
setInterval(() => undefined, 1000);
if (pause !== 'never') {
  setTimeout(() => {
    let tail = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop();
      for (const line of lines) {
        if (!line) continue;
        const msg = JSON.parse(line);
        fs.appendFileSync(log, msg.method + '\n');
        if (msg.id !== undefined) process.stdout.write(JSON.stringify({ id: msg.id, result: { ok: true } }) + '\n');
      }
    });
    process.stdin.resume();
  }, Number(pause));
}
