#!/usr/bin/env node
/**
 * A stand-in app-server for benchmarks: NDJSON JSON-RPC over stdio that answers at once and floods
 * each turn with frames, so that what a benchmark measures is the client, not a model.
 *
 *   node bench/flood-server.js [deltas] [items] [slice]
 *   env FLOOD_DELTAS (default 1000), FLOOD_ITEMS (default 1), FLOOD_SLICE (default 1000)
 *
 * - `initialize` → a result shaped like the real server's; `initialized` and other notifications are ignored.
 * - `thread/start` → `{thread:{id:'thr-<n>'}}`.
 * - `turn/start` → `{turn:{id:'turn-<n>', status:'inProgress'}}`, then `turn/started`, then `deltas`
 *   `item/agentMessage/delta` spread over `items` agent messages, each followed by its
 *   `item/completed`, then `turn/completed`. Frames are written `slice` at a time, yielding to the
 *   event loop between slices (and waiting for 'drain' when the pipe is full), so that concurrent
 *   turns interleave and a slow reader slows the server down instead of filling its memory.
 *   `params.input[0].text` may be `FLOOD <deltas> [items] [MIN]` to override the counts for that turn;
 *   `MIN` sends minimal frames (no `emittedAtMs`, one-character deltas): parsing then hides less
 *   of a client's own cost per frame.
 * - any other request → an immediate result (`model/list` → `{data:[]}`, else `{}`).
 *
 * With FLOOD_WS=1 it speaks the same over a WebSocket instead (one frame per message, like
 * `codex app-server --listen ws://`): it listens on 127.0.0.1, prints its port on stdout, and
 * serves one connection at a time.
 */
'use strict';

const num = (v, d) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : d;
};
const DELTAS = num(process.argv[2] ?? process.env.FLOOD_DELTAS, 1000);
const ITEMS = Math.max(1, num(process.argv[3] ?? process.env.FLOOD_ITEMS, 1));
const SLICE = Math.max(1, num(process.argv[4] ?? process.env.FLOOD_SLICE, 1000));

let threads = 0;
let turns = 0;
let waitingForDrain = [];
const drained = () => {
  const w = waitingForDrain;
  waitingForDrain = [];
  for (const f of w) f();
};

/** Where frames go: stdout, or the WebSocket (set when a client connects). Returns false when full. */
let sink = (chunk) => process.stdout.write(chunk);
if (!process.env.FLOOD_WS) {
  process.stdout.on('drain', drained);
  process.stdout.on('error', () => process.exit(0));
}

/** Writes a chunk; calls `then` when the server may write again (after drain, or on the next turn of the loop). */
function write(chunk, then) {
  if (sink(chunk)) {
    if (then) setImmediate(then);
  } else if (then) waitingForDrain.push(then);
}

const line = (frame) => JSON.stringify(frame) + '\n';
const respond = (id, result) => write(line({ id, result }));

function runTurn(threadId, turnId, deltas, items, minimal) {
  // Minimal frames carry no emittedAtMs (undefined drops the key).
  const t = minimal ? undefined : Date.now();
  const now = () => (minimal ? undefined : Date.now());
  write(
    line({
      method: 'turn/started',
      params: { threadId, turn: { id: turnId, status: 'inProgress', items: [], error: null } },
      emittedAtMs: t,
    }),
  );
  let item = 0;
  let inItem = 0;
  const perItem = Math.ceil(deltas / items);
  let sent = 0;
  const deltaLine = (itemId) =>
    line({ method: 'item/agentMessage/delta', params: { threadId, turnId, itemId, delta: minimal ? 'x' : 'tok ' }, emittedAtMs: t });
  let currentDelta = deltaLine(`msg-${turnId}-0`);
  let finished = false;
  const step = () => {
    let chunk = '';
    let n = 0;
    while (n < SLICE && !finished) {
      if (item < items && inItem < perItem && sent < deltas) {
        chunk += currentDelta;
        inItem++;
        sent++;
      } else if (item < items) {
        const itemId = `msg-${turnId}-${item}`;
        chunk += line({
          method: 'item/completed',
          params: { threadId, turnId, item: { type: 'agentMessage', id: itemId, text: `message ${item} of ${turnId}`, phase: null } },
          emittedAtMs: t,
        });
        item++;
        inItem = 0;
        currentDelta = deltaLine(`msg-${turnId}-${item}`);
      } else {
        chunk += line({
          method: 'turn/completed',
          params: { threadId, turn: { id: turnId, status: 'completed', error: null, items: [] } },
          emittedAtMs: now(),
        });
        finished = true;
      }
      n++;
    }
    write(chunk, finished ? null : step);
  };
  setImmediate(step);
}

function onRequest(msg) {
  const { id, method, params } = msg;
  switch (method) {
    case 'initialize':
      respond(id, { userAgent: 'flood-server/0.0.0', codexHome: '/nonexistent', platformFamily: 'unix', platformOs: 'linux' });
      return;
    case 'thread/start':
      respond(id, { thread: { id: `thr-${++threads}` } });
      return;
    case 'turn/start': {
      const turnId = `turn-${++turns}`;
      let deltas = DELTAS;
      let items = ITEMS;
      const text = params && Array.isArray(params.input) && params.input[0] && params.input[0].text;
      const m = typeof text === 'string' ? /^FLOOD (\d+)(?: (\d+))?( MIN)?/.exec(text) : null;
      if (m) {
        deltas = Number(m[1]);
        if (m[2]) items = Math.max(1, Number(m[2]));
      }
      respond(id, { turn: { id: turnId, status: 'inProgress', items: [], error: null } });
      runTurn(params.threadId, turnId, deltas, items, Boolean(m && m[3]));
      return;
    }
    case 'model/list':
      respond(id, { data: [] });
      return;
    default:
      respond(id, {});
  }
}

/** Handles one inbound JSON text. */
function onText(text) {
  if (!text.trim()) return;
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return;
  }
  if (msg && msg.method !== undefined && msg.id !== undefined) onRequest(msg);
}

if (process.env.FLOOD_WS) {
  const { WebSocketServer } = require('ws');
  const HIGH_WATER = 1 << 20;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('listening', () => process.stdout.write(`${wss.address().port}\n`));
  wss.on('connection', (socket) => {
    // One message per frame; past the high-water mark, wait until the socket has sent it.
    const poll = () => (socket.bufferedAmount < HIGH_WATER ? drained() : setTimeout(poll, 1));
    sink = (chunk) => {
      let start = 0;
      let nl;
      while ((nl = chunk.indexOf('\n', start)) >= 0) {
        socket.send(chunk.slice(start, nl));
        start = nl + 1;
      }
      if (socket.bufferedAmount < HIGH_WATER) return true;
      setTimeout(poll, 1);
      return false;
    };
    socket.on('message', (data) => onText(String(data)));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  let buffer = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffer += chunk;
    let start = 0;
    let nl;
    while ((nl = buffer.indexOf('\n', start)) >= 0) {
      onText(buffer.slice(start, nl));
      start = nl + 1;
    }
    buffer = buffer.slice(start);
  });
  process.stdin.on('end', () => process.exit(0));
}
process.on('SIGTERM', () => process.exit(0));
