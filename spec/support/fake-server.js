// A scriptable fake codex app-server for fault-injection tests: NDJSON JSON-RPC on stdio, shaped
// like the real server (no "jsonrpc", `emittedAtMs` on notifications, server request ids from 0).
//
// Run as a child process: `node spec/support/fake-server.js [key=value ...]`. Options (argv
// `key=value`, or env `FAKE_<KEY>`):
//   overload=<method>:<n>[,<method>:<n>]  answer the first n requests of <method> with -32001
//   log=<file>                           append every inbound line (raw) to <file>
// Or `require()` it and call `createFake(write, options)` to drive it over another channel
// (the WebSocket tests do).
//
// Requests:
//   initialize, thread/start, thread/resume, thread/read (the turns it ran), model/list, turn/interrupt
//   fake/stats             -> { counts: {method: n}, received: [every inbound frame] }
//   fake/slow {delayMs}    -> answered after delayMs
//   fake/silent            -> never answered
//   fake/unknownId         -> first a response with id 999999, then the real one
//   fake/duplicate         -> answered twice
//   fake/exit {code}       -> exits with `code` without answering
//   fake/huge {mb}         -> a response of about <mb> MB, written in 1 MB pieces
//   fake/errorNull         -> {id, result: {ok: true}, error: null}
//   fake/badError          -> {id, error: "boom"} (an error that is no error object)
//   anything else          -> -32601
// Turns: `turn/start` answers `{turn}`, then acts on the first word of the input text:
//   ECHO <t>         deltas + item/completed "Echo: <t>" + idle + turn/completed
//   GARBAGE <t>      like ECHO, with a log line, a half-JSON line, a blank line, a 10 MB line and a
//                    multi-byte text split across two writes (with a pause) between the frames
//   HANG             turn/started, then nothing
//   EXIT <code>      turn/started, then the process exits with <code>
//   MALFORMED <t>    item/completed without item, a delta without delta, then like ECHO
//   NO_COMPLETE <t>  like ECHO but no turn/completed (idle only); thread/read shows it completed
//   NO_COMPLETE_LATE <t>  like NO_COMPLETE, the idle status 150 ms after the item
//   NO_COMPLETE_NO_ITEM <t>  deltas only, idle, no item/completed and no turn/completed
//   SREQ             server requests id 0 and id "req-s" (unknown methods); echoes each answer as
//                    `fake/answer {frame}`, then completes with "Echo: SREQ"
//   APPROVAL         command approval request (id 0); echoes the answer, then completes
//   USER_INPUT [qid] item/tool/requestUserInput (id 0) with one question (id <qid>, default q1); echoes the answer, then completes
//   SILENT_THEN <ms> <n> <t>  turn/started, silence for <ms>, then <n> deltas and ECHO-style end
//   OVERLOADED       turn/start itself is answered with -32001
//   DEEP <t>         an item/completed and a turn/completed nested 5,000 deep (malformed), then like ECHO
//   HUGE <mb> <t>    a delta line of about <mb> MB, written in 1 MB pieces, then like ECHO
//   HUGE_NO_NL <mb> <t>  <mb> MB of text without a newline, then a newline, then like ECHO
//   FLOOD_DELTAS <ms> <n> <kb> <t>  silence for <ms>, then <n> deltas of <kb> KB each, then like ECHO
//   BIGID            a server request whose id is 9007199254740993 (beyond 2^53), then like ECHO
//   DUP_APPROVAL     two command approval requests that share id 5; echoes both answers, then completes
//   CLOSE_STDOUT     turn/started, then closes stdout and stays alive
//   GRANDCHILD_EXIT  turn/started, then starts a grandchild that holds stdout for 10 s (its pid on stderr) and exits
'use strict';

const fs = require('node:fs');

function parseOptions(argv, env) {
  const out = {};
  for (const a of argv) {
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  for (const k of ['overload', 'log']) {
    const v = env['FAKE_' + k.toUpperCase()];
    if (v !== undefined && out[k] === undefined) out[k] = v;
  }
  const overload = {};
  if (out.overload) {
    for (const part of out.overload.split(',')) {
      const i = part.lastIndexOf(':');
      overload[part.slice(0, i)] = Number(part.slice(i + 1));
    }
  }
  return { overload, log: out.log };
}

/**
 * The server logic. `write(text)` sends raw text (the caller adds nothing: frames end in '\n');
 * `exit(code)` ends the server. Returns `{ onLine(line) }`.
 */
function createFake(write, options = {}, exit = (code) => process.exit(code)) {
  const overload = { ...(options.overload || {}) };
  const counts = {};
  const received = [];
  const threads = new Map(); // threadId -> [turn objects]
  const waiting = new Map(); // server request id (JSON) -> callback(answer frame)
  let nextThread = 1;
  let nextTurn = 1;
  let nextItem = 1;
  let nextServerId = 0;

  const send = (frame) => write(JSON.stringify(frame) + '\n');
  const notify = (method, params) => send({ method, params, emittedAtMs: Date.now() });
  const respond = (id, result) => send({ id, result });
  const respondError = (id, code, message) => send({ id, error: { code, message } });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const ask = (method, params, id = nextServerId++) =>
    new Promise((resolve) => {
      waiting.set(JSON.stringify(id), resolve);
      send({ id, method, params });
    });

  function onLine(line) {
    if (options.log) fs.appendFileSync(options.log, line + '\n');
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      process.stderr.write('fake: bad line\n');
      return;
    }
    received.push(msg);
    if (msg.method === undefined) {
      const cb = waiting.get(JSON.stringify(msg.id));
      if (cb) {
        waiting.delete(JSON.stringify(msg.id));
        cb(msg);
      }
      return;
    }
    if (msg.id === undefined) return; // notifications (initialized)
    counts[msg.method] = (counts[msg.method] || 0) + 1;
    if (overload[msg.method] > 0) {
      overload[msg.method]--;
      respondError(msg.id, -32001, 'Server overloaded; retry later.');
      return;
    }
    handle(msg);
  }

  /** Writes head, about `mb` MB of 'x', then tail, in 1 MB pieces, waiting for each to drain. */
  async function writeHuge(head, mb, tail) {
    const piece = 'x'.repeat(1024 * 1024);
    await writeAndDrain(head);
    for (let i = 0; i < mb; i++) await writeAndDrain(piece);
    await writeAndDrain(tail);
  }
  const writeAndDrain = (text) => new Promise((resolve) => (write(text) === false && options.drain ? options.drain(resolve) : resolve()));

  function thread(id) {
    return {
      id,
      preview: '',
      ephemeral: true,
      modelProvider: 'fake',
      createdAt: 0,
      updatedAt: 0,
      status: { type: 'idle' },
      path: null,
      cwd: '/',
      cliVersion: '0.0.0',
      source: 'appServer',
      agentNickname: null,
      agentRole: null,
      gitInfo: null,
      name: null,
      turns: [],
    };
  }

  function handle(msg) {
    const p = msg.params || {};
    switch (msg.method) {
      case 'initialize':
        return respond(msg.id, { userAgent: 'fake-server/0.0.0', codexHome: '/tmp/fake', platformFamily: 'unix', platformOs: 'linux' });
      case 'thread/start': {
        const id = 'thr_' + nextThread++;
        threads.set(id, []);
        respond(msg.id, {
          thread: thread(id),
          model: 'fake',
          modelProvider: 'fake',
          cwd: '/',
          approvalPolicy: 'never',
          sandbox: { type: 'readOnly' },
          reasoningEffort: null,
        });
        return notify('thread/started', { thread: thread(id) });
      }
      case 'thread/resume':
        if (!threads.has(p.threadId)) threads.set(p.threadId, []);
        return respond(msg.id, { thread: thread(p.threadId) });
      case 'thread/read':
        return respond(msg.id, { thread: { ...thread(p.threadId), turns: p.includeTurns ? threads.get(p.threadId) || [] : [] } });
      case 'model/list':
        return respond(msg.id, { data: [{ id: 'fake-model', model: 'fake-model', displayName: 'Fake' }], nextCursor: null });
      case 'turn/interrupt': {
        // Like the real server: the running turn ends `interrupted` after the answer.
        respond(msg.id, {});
        const turn = (threads.get(p.threadId) || []).find((t) => t.id === p.turnId && t.status === 'inProgress');
        if (turn) {
          turn.status = 'interrupted';
          notify('thread/status/changed', { threadId: p.threadId, status: { type: 'idle' } });
          notify('turn/completed', { threadId: p.threadId, turn: { ...turn } });
        }
        return;
      }
      case 'fake/stats':
        return respond(msg.id, { counts, received });
      case 'fake/slow':
        setTimeout(() => respond(msg.id, { late: true }), p.delayMs || 0);
        return;
      case 'fake/silent':
        return;
      case 'fake/unknownId':
        respond(999999, { stray: true });
        return respond(msg.id, { ok: true });
      case 'fake/duplicate':
        respond(msg.id, { copy: 1 });
        return respond(msg.id, { copy: 2 });
      case 'fake/exit':
        return exit(p.code || 0);
      case 'fake/huge':
        return writeHuge(`{"id":${msg.id},"result":{"blob":"`, p.mb || 1, '"}}\n');
      case 'fake/errorNull':
        return send({ id: msg.id, result: { ok: true }, error: null });
      case 'fake/badError':
        return send({ id: msg.id, error: 'boom' });
      case 'turn/start':
        return startTurn(msg);
      default:
        return respondError(msg.id, -32601, 'method not found: ' + msg.method);
    }
  }

  async function startTurn(msg) {
    const { threadId } = msg.params;
    const text = ((msg.params.input || [])[0] || {}).text || '';
    const [word, ...rest] = text.split(' ');
    if (word === 'OVERLOADED') return respondError(msg.id, -32001, 'Server overloaded; retry later.');
    const turnId = 'turn_' + nextTurn++;
    const turn = {
      id: turnId,
      status: 'inProgress',
      items: [],
      error: null,
      startedAtMs: Date.now(),
      completedAtMs: null,
      durationMs: null,
    };
    if (!threads.has(threadId)) threads.set(threadId, []);
    threads.get(threadId).push(turn);
    respond(msg.id, { turn: { ...turn } });
    const ids = { threadId, turnId };
    notify('thread/status/changed', { threadId, status: { type: 'active', activeFlags: [] } });
    notify('turn/started', { threadId, turn: { ...turn } });

    const message = (t, itemId = 'item_' + nextItem++) => {
      const item = { type: 'agentMessage', id: itemId, text: t, phase: null, memoryCitation: null };
      notify('item/started', { ...ids, item: { ...item, text: '' }, startedAtMs: Date.now() });
      const third = Math.ceil(t.length / 3) || 1;
      for (let i = 0; i < t.length; i += third) notify('item/agentMessage/delta', { ...ids, itemId, delta: t.slice(i, i + third) });
      notify('item/completed', { ...ids, item, completedAtMs: Date.now() });
      turn.items.push(item);
      return item;
    };
    const finish = (status = 'completed', complete = true) => {
      turn.status = status;
      turn.completedAtMs = Date.now();
      notify('thread/status/changed', { threadId, status: { type: 'idle' } });
      if (complete) notify('turn/completed', { threadId, turn: { ...turn } });
    };

    switch (word) {
      case 'ECHO':
        message('Echo: ' + rest.join(' '));
        return finish();
      case 'HANG':
        return;
      case 'EXIT':
        // Give the client time to see turn/started before the process goes away.
        await sleep(50);
        return exit(Number(rest[0]));
      case 'GARBAGE': {
        const itemId = 'item_' + nextItem++;
        const t = rest.join(' ');
        write('[fake-server] INFO warming up the garbage\n');
        notify('item/started', { ...ids, item: { type: 'agentMessage', id: itemId, text: '', phase: null }, startedAtMs: Date.now() });
        write('{"method":"item/agentMessage/delta","params":{"threadId":\n');
        write('\n');
        write('   \n');
        notify('item/agentMessage/delta', { ...ids, itemId, delta: t });
        write('x'.repeat(10 * 1024 * 1024) + '\n');
        // A frame whose text holds multi-byte characters, cut inside a character's UTF-8 bytes.
        const item = { type: 'agentMessage', id: itemId, text: t, phase: null };
        const bytes = Buffer.from(
          JSON.stringify({ method: 'item/completed', params: { ...ids, item }, emittedAtMs: Date.now() }) + '\n',
          'utf8',
        );
        const euro = bytes.indexOf(Buffer.from('€', 'utf8'));
        const cut = euro >= 0 ? euro + 1 : Math.floor(bytes.length / 2);
        write(bytes.subarray(0, cut));
        await sleep(50);
        write(bytes.subarray(cut));
        turn.items.push(item);
        return finish();
      }
      case 'MALFORMED':
        notify('item/completed', { ...ids });
        notify('item/agentMessage/delta', { ...ids, itemId: 'nope' });
        notify('turn/started', { threadId });
        message('Echo: ' + rest.join(' '));
        return finish();
      case 'NO_COMPLETE':
        message('Echo: ' + rest.join(' '));
        turn.status = 'completed';
        return finish('completed', false);
      case 'NO_COMPLETE_LATE':
        message('Echo: ' + rest.join(' '));
        await sleep(150);
        return finish('completed', false);
      case 'NO_COMPLETE_NO_ITEM': {
        const itemId = 'item_' + nextItem++;
        const t = 'Echo: ' + rest.join(' ');
        notify('item/agentMessage/delta', { ...ids, itemId, delta: t });
        turn.items.push({ type: 'agentMessage', id: itemId, text: t, phase: null });
        return finish('completed', false);
      }
      case 'SREQ': {
        const answers = await Promise.all([
          ask('fake/unknownRequest', { ...ids, n: 0 }, 0),
          ask('fake/otherRequest', { ...ids, n: 1 }, 'req-s'),
        ]);
        for (const a of answers) notify('fake/answer', { frame: a });
        message('Echo: SREQ');
        return finish();
      }
      case 'APPROVAL': {
        const itemId = 'item_' + nextItem++;
        const answer = await ask('item/commandExecution/requestApproval', {
          kind: 'command',
          ...ids,
          itemId,
          startedAtMs: Date.now(),
          approvalId: null,
          environmentId: null,
          reason: 'needs approval',
          command: 'rm -rf /tmp/x',
          cwd: '/tmp',
          commandActions: [],
          proposedExecpolicyAmendment: null,
        });
        notify('serverRequest/resolved', { threadId, requestId: answer.id });
        notify('fake/answer', { frame: answer });
        message('Echo: APPROVAL');
        return finish();
      }
      case 'USER_INPUT': {
        const answer = await ask('item/tool/requestUserInput', {
          ...ids,
          itemId: 'item_' + nextItem++,
          isBlocking: true,
          autoResolutionMs: null,
          questions: [{ id: rest[0] || 'q1', header: '', question: 'Which?', isOther: false, isSecret: false, options: null }],
        });
        notify('fake/answer', { frame: answer });
        message('Echo: ' + text);
        return finish();
      }
      case 'DEEP': {
        // Written by hand: JSON.stringify itself overflows the stack on such a value.
        const deep = '['.repeat(5000) + ']'.repeat(5000);
        write(`{"method":"item/completed","params":{"threadId":"${threadId}","turnId":"${turnId}","item":${deep}}}\n`);
        write(`{"method":"turn/completed","params":{"threadId":"${threadId}","turn":${deep}}}\n`);
        message('Echo: ' + rest.join(' '));
        return finish();
      }
      case 'HUGE': {
        const [mb, ...words] = rest;
        await writeHuge(
          `{"method":"item/agentMessage/delta","params":{"threadId":"${threadId}","turnId":"${turnId}","itemId":"huge","delta":"`,
          Number(mb),
          '"}}\n',
        );
        message('Echo: ' + words.join(' '));
        return finish();
      }
      case 'HUGE_NO_NL': {
        const [mb, ...words] = rest;
        await writeHuge('', Number(mb), '\n');
        message('Echo: ' + words.join(' '));
        return finish();
      }
      case 'FLOOD_DELTAS': {
        const [ms, n, kb, ...words] = rest;
        await sleep(Number(ms));
        const line = JSON.stringify({
          method: 'item/agentMessage/delta',
          params: { ...ids, itemId: 'flood', delta: 'x'.repeat(Number(kb) * 1024) },
          emittedAtMs: Date.now(),
        });
        for (let i = 0; i < Number(n); i++) await writeAndDrain(line + '\n');
        message('Echo: ' + words.join(' '));
        return finish();
      }
      case 'BIGID': {
        write(`{"id":9007199254740993,"method":"fake/bigRequest","params":{"threadId":"${threadId}","turnId":"${turnId}"}}\n`);
        await sleep(100);
        message('Echo: BIGID');
        return finish();
      }
      case 'DUP_APPROVAL': {
        const answers = [];
        const both = new Promise((resolve) => {
          waiting.set('5', (a) => {
            answers.push(a);
            if (answers.length === 2) resolve();
            else waiting.set('5', (b) => (answers.push(b), resolve()));
          });
        });
        for (const itemId of ['dup_a', 'dup_b']) {
          send({
            id: 5,
            method: 'item/commandExecution/requestApproval',
            params: {
              ...ids,
              itemId,
              reason: itemId,
              command: 'echo ' + itemId,
              cwd: '/tmp',
              commandActions: [],
              proposedExecpolicyAmendment: null,
            },
          });
        }
        await both;
        for (const a of answers) notify('fake/answer', { frame: a });
        message('Echo: DUP_APPROVAL');
        return finish();
      }
      case 'CLOSE_STDOUT':
        await sleep(50);
        if (options.closeStdout) options.closeStdout();
        return;
      case 'GRANDCHILD_EXIT': {
        await sleep(50);
        if (options.spawnGrandchild) options.spawnGrandchild();
        return exit(0);
      }
      case 'SILENT_THEN': {
        const [ms, n, ...words] = rest;
        await sleep(Number(ms));
        const itemId = 'item_' + nextItem++;
        for (let i = 0; i < Number(n); i++) notify('item/agentMessage/delta', { ...ids, itemId, delta: '.' });
        message('Echo: ' + words.join(' '));
        return finish();
      }
      default:
        message('Echo: ' + text);
        return finish();
    }
  }

  return { onLine, counts, received };
}

function runStdio() {
  const options = parseOptions(process.argv.slice(2), process.env);
  const fake = createFake(
    (chunk) => process.stdout.write(chunk),
    {
      ...options,
      drain: (resolve) => process.stdout.once('drain', resolve),
      closeStdout: () => require('node:fs').closeSync(1),
      // The grandchild inherits stdout (fd 1) and holds it open after this process is gone.
      spawnGrandchild: () => {
        const grandchild = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], {
          stdio: ['ignore', 'inherit', 'ignore'],
          detached: true,
        });
        grandchild.unref();
        process.stderr.write(`grandchild ${grandchild.pid}\n`);
      },
    },
    (code) => {
      // Flush what was written, then go.
      process.stdout.write('', () => process.exit(code));
    },
  );
  process.stdin.on('error', () => undefined);
  process.stdout.on('error', () => process.exit(0));
  // Frames are split on '\n' by hand (readline would also split on '\r').
  let tail = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    const lines = (tail + chunk).split('\n');
    tail = lines.pop();
    for (const line of lines) fake.onLine(line);
  });
  process.stdin.on('end', () => process.exit(0));
}

if (require.main === module) runStdio();

module.exports = { createFake, parseOptions };
