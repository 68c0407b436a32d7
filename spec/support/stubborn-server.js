// A server that will not go away politely: ignores stdin EOF and traps SIGTERM. Only SIGKILL ends it.
'use strict';
process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => process.stderr.write('ignoring EOF\n'));
setInterval(() => undefined, 1000);
process.stderr.write('stubborn ready\n');
