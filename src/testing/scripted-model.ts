/**
 * A scripted stand-in for the OpenAI Responses API, so the real `codex app-server` can run offline.
 *
 * Facts about codex-cli 0.169.0 found by reading the `tools` array it sends to the model:
 * - `exec_command` is a `function` tool; its JSON arguments are `cmd` (string, the shell command line,
 *   the only required one), `workdir`, `shell`, `tty`, `yield_time_ms`, `max_output_tokens`, `login`,
 *   `prefix_rule`, `sandbox_permissions` ('use_default' | 'require_escalated') and `justification`.
 *   `login` defaults to true (`/bin/bash -lc`), which costs about a second per command here.
 * - The exec output sent back to the model is wrapped ("Chunk ID", "Wall time", "Process exited with
 *   code N", "Original token count", then "Output:" and the output lines); apply_patch's output is
 *   "Exit code: N", "Wall time", "Output:" and the tool's text. firstOutputLine() skips the wrapper.
 * - apply_patch is only offered when the model's catalog metadata says so (see codex-home.ts).
 * - `apply_patch` is a freeform `custom` tool (grammar-based): the model answers with a
 *   `custom_tool_call` item whose `input` is the raw patch text (`*** Begin Patch` ... `*** End Patch`),
 *   and the follow-up request carries a `custom_tool_call_output` item, not a `function_call_output`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One output item of a scripted model reply: what the model "says" or which tool it calls. */
export type ReplyItem =
  | {
      /** An assistant message (the turn's `agentMessage`). */
      type: 'message';
      /** The message's text. */
      text: string;
    }
  | {
      /** A reasoning item. */
      type: 'reasoning';
      /** The reasoning summary's text. */
      summary: string;
    }
  | {
      /** A call of the `exec_command` tool: the server runs a shell command. */
      type: 'exec';
      /** The shell command line, sent as `cmd`. */
      command: string;
      /** Adds `sandbox_permissions: 'require_escalated'` (asks for approval under on-request). */
      escalated?: boolean;
      /** Why the model asks to run it, as the approval request's `reason` shows it. */
      justification?: string;
      /** The call's id, to match its output in the next request. Default: a fresh id. */
      callId?: string;
      /** Sent as exec_command's `login` when set; codex defaults to a login shell (`bash -lc`), the slower one. */
      login?: boolean;
    }
  | {
      /** A call of the `apply_patch` tool: the server applies a patch. */
      type: 'patch';
      /** The raw patch text, `*** Begin Patch` ... `*** End Patch` (see `addFilePatch`). */
      patch: string;
      /** The call's id, to match its output in the next request. Default: a fresh id. */
      callId?: string;
    }
  | {
      /** A call of any function tool by name (a client-side tool, say), with these JSON arguments. */
      type: 'call';
      /** The tool's name. */
      name: string;
      /** The call's arguments, sent JSON-encoded. */
      arguments: unknown;
      /** The call's id, to match its output in the next request. Default: a fresh id. */
      callId?: string;
      /** The tool's namespace, for a namespaced tool. */
      namespace?: string;
    };

/** What the scripted model answers one request with: a streamed response, an HTTP error, or nothing at all. */
export type ModelReply =
  | {
      /** The response's output items, streamed in order. */
      items: ReplyItem[];
      /** Stream each message (and reasoning summary) as this many deltas before its done event. */
      deltaChunks?: number;
      /** Pause between deltas (a visibly live stream for demos). */
      deltaDelayMs?: number;
      /** Wait before answering at all, in ms (before the response's headers). */
      delayMs?: number;
      /** Wait after `response.created` before the items, in ms: a model that stalls mid-response. */
      stallAfterCreatedMs?: number;
    }
  | {
      /** Answer with an HTTP error instead: the server's model call fails (without retries under `createCodexHome`'s config). */
      httpError: {
        /** The HTTP status, e.g. 400 or 500. */
        status: number;
        /** The error's message, as the failed turn reports it. */
        message: string;
      };
    }
  | {
      /** Send `response.created`, then nothing until `close()`: a model that never answers. */
      hang: true;
    };

/** One request of the server to the scripted model, parsed for scripts. */
export interface ModelRequest {
  /** The parsed JSON request body as sent by codex. */
  body: any;
  /** Text of the last user message whose text does not start with '<' (those are environment context). */
  userText: string | null;
  /**
   * Set when the last input item (trailing developer messages aside) is a tool output:
   * `function_call_output` (exec_command) or `custom_tool_call_output` (apply_patch, a custom tool in 0.169).
   */
  lastFunctionCallOutput: {
    /** The id of the tool call this output answers (a `ReplyItem`'s `callId`). */
    call_id: string;
    /** The tool's output text, as the server sent it back (exec output comes wrapped in "Chunk ID", "Wall time", ...). */
    output: string;
  } | null;
}

/** Decides the scripted model's reply to each request (see `defaultScript`). */
export type ModelScript = (req: ModelRequest) => ModelReply | Promise<ModelReply>;

/** A running scripted model (`startScriptedModel`): an HTTP server speaking the Responses API's streaming. */
export interface ScriptedModel {
  /** Base URL for `[model_providers.X] base_url`, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** The port it listens on (on 127.0.0.1). */
  port: number;
  /** Every request body seen, parsed, in arrival order. */
  requests: ModelRequest[];
  /** Closes the server and ends any hanging responses. */
  close(): Promise<void>;
}

/** Builds an apply_patch body that adds `path` holding one line `content`. */
export function addFilePatch(path: string, content: string): string {
  return `*** Begin Patch\n*** Add File: ${path}\n+${content}\n*** End Patch\n`;
}

/**
 * The default script, driven by a directive at the start of the user's text:
 * - after a tool call (the last input item is a tool output): message `Command finished: <first output line>`,
 *   `Patch applied.` for apply_patch, or `Tool <name> said: <output>` for any other function tool.
 * - `FAIL <msg>`            → HTTP 400 with that message (fails the turn).
 * - `SLOW <ms> <text>`      → response.created, stall <ms>, then message `<text>`.
 * - `HANG`                  → response.created, then nothing until close().
 * - `RUN <shell command>`   → reasoning `Planning to run the command.` then an escalated exec_command
 *                             with justification `Needs to run: <command>` (non-login shell: `bash -c`).
 * - `EXEC <shell command>`  → the same exec_command without escalation: it runs inside the turn's sandbox.
 * - `PATCH <path> <content>`→ apply_patch adding file <path> with the one line <content>.
 * - `THINK <text>`          → reasoning `Thinking about: <text>` then message `<text>`.
 * - `CALL <name> <json>`    → a function call of tool <name> (`ns.name`: in namespace ns) with the
 *                             JSON arguments <json> (default `{}`), e.g. a client-side tool.
 * - `STREAM <n> <text>`     → message `<text>` streamed as n delta events.
 * - `REASON <n> <text>`     → reasoning summary `<text>` streamed as n deltas, then message `Reasoned.`
 * - `ECHO <text>` or other  → message `Echo: <text>` streamed as 3 delta events.
 */
export const defaultScript: ModelScript = (req) => {
  const out = req.lastFunctionCallOutput;
  if (out) {
    const callId = out.call_id;
    const call = callOf(req.body, callId);
    if (call?.type === 'custom_tool_call' || call?.name === 'apply_patch') return { items: [{ type: 'message', text: 'Patch applied.' }] };
    if (call?.type === 'function_call' && call.name !== 'exec_command') {
      return { items: [{ type: 'message', text: `Tool ${call.name} said: ${out.output}` }] };
    }
    return { items: [{ type: 'message', text: `Command finished: ${firstOutputLine(out.output)}` }] };
  }
  const text = (req.userText ?? '').trim();
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  const word = m ? m[1] : '';
  const rest = m ? m[2] : '';
  switch (word) {
    case 'FAIL':
      return { httpError: { status: 400, message: rest || 'scripted failure' } };
    case 'SLOW': {
      const s = /^(\d+)\s*([\s\S]*)$/.exec(rest);
      return { stallAfterCreatedMs: s ? Number(s[1]) : 1000, items: [{ type: 'message', text: s ? s[2] : rest }] };
    }
    case 'HANG':
      return { hang: true };
    case 'RUN':
      return {
        items: [
          { type: 'reasoning', summary: 'Planning to run the command.' },
          // login: false skips the ~1 s login-shell start (`bash -c` instead of `bash -lc`).
          { type: 'exec', command: rest, escalated: true, justification: `Needs to run: ${rest}`, login: false },
        ],
      };
    case 'EXEC':
      return { items: [{ type: 'exec', command: rest, login: false }] };
    case 'PATCH': {
      const p = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      return { items: [{ type: 'patch', patch: addFilePatch(p ? p[1] : 'out.txt', p ? p[2] : '') }] };
    }
    case 'THINK':
      return {
        items: [
          { type: 'reasoning', summary: `Thinking about: ${rest}` },
          { type: 'message', text: rest },
        ],
      };
    case 'CALL': {
      const c = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      const full = c ? c[1] : rest;
      const dot = full.lastIndexOf('.');
      const args = c && c[2].trim() ? JSON.parse(c[2]) : {};
      return dot > 0
        ? { items: [{ type: 'call', namespace: full.slice(0, dot), name: full.slice(dot + 1), arguments: args }] }
        : { items: [{ type: 'call', name: full, arguments: args }] };
    }
    case 'STREAM': {
      const s = /^(\d+)\s*([\s\S]*)$/.exec(rest);
      return { deltaChunks: s ? Number(s[1]) : 3, items: [{ type: 'message', text: s ? s[2] : rest }] };
    }
    case 'REASON': {
      const r = /^(\d+)\s*([\s\S]*)$/.exec(rest);
      return {
        deltaChunks: r ? Number(r[1]) : 3,
        items: [
          { type: 'reasoning', summary: r ? r[2] : rest },
          { type: 'message', text: 'Reasoned.' },
        ],
      };
    }
    case 'ECHO':
      return { deltaChunks: 3, items: [{ type: 'message', text: `Echo: ${rest}` }] };
    default:
      return { deltaChunks: 3, items: [{ type: 'message', text: `Echo: ${text}` }] };
  }
};

/** The exec output codex returns is wrapped ("Chunk ID: ...\nOutput:\n..."); take the first real output line. */
function firstOutputLine(output: string): string {
  const marker = /(?:^|\n)Output:\n/.exec(output);
  const body = marker ? output.slice(marker.index + marker[0].length) : output;
  return (body.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

/** The tool call `callId` in the conversation (a function or custom tool call), if any. */
function callOf(body: any, callId: string): any {
  const input: any[] = Array.isArray(body?.input) ? body.input : [];
  return input.find((it) => it?.call_id === callId && (it.type === 'function_call' || it.type === 'custom_tool_call'));
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c: any) => (typeof c?.text === 'string' ? c.text : '')).join('');
}

/** Parses a Responses API request body into what scripts look at: the user's text and the last tool output. */
export function parseModelRequest(body: any): ModelRequest {
  const input: any[] = Array.isArray(body?.input) ? body.input : [];
  let userText: string | null = null;
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i];
    if (it?.type === 'message' && it.role === 'user') {
      const t = textOf(it.content);
      if (!t.startsWith('<')) {
        userText = t;
        break;
      }
    }
  }
  // Developer notes codex appends after a tool output (e.g. "Approved command prefix saved: ..." once an
  // execpolicy amendment is accepted) do not hide that output.
  let lastIndex = input.length - 1;
  while (lastIndex >= 0 && input[lastIndex]?.type === 'message' && input[lastIndex].role === 'developer') lastIndex--;
  const last = input[lastIndex];
  let lastFunctionCallOutput: ModelRequest['lastFunctionCallOutput'] = null;
  if (last && (last.type === 'function_call_output' || last.type === 'custom_tool_call_output')) {
    const o = last.output;
    const output = typeof o === 'string' ? o : typeof o?.content === 'string' ? o.content : textOf(o);
    lastFunctionCallOutput = { call_id: String(last.call_id), output };
  }
  return { body, userText, lastFunctionCallOutput };
}

let idCounter = 0;
const nextId = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${(++idCounter).toString(36)}`;

function toWireItem(item: ReplyItem): any {
  switch (item.type) {
    case 'message':
      return {
        type: 'message',
        role: 'assistant',
        id: nextId('msg'),
        content: [{ type: 'output_text', text: item.text, annotations: [] }],
      };
    case 'reasoning':
      return { type: 'reasoning', id: nextId('rs'), summary: [{ type: 'summary_text', text: item.summary }] };
    case 'exec': {
      const args: Record<string, unknown> = { cmd: item.command };
      if (item.login !== undefined) args.login = item.login;
      if (item.escalated) {
        args.sandbox_permissions = 'require_escalated';
        args.justification = item.justification ?? `Needs to run: ${item.command}`;
      } else if (item.justification) {
        args.justification = item.justification;
      }
      return {
        type: 'function_call',
        id: nextId('fc'),
        call_id: item.callId ?? nextId('call'),
        name: 'exec_command',
        arguments: JSON.stringify(args),
      };
    }
    case 'call': {
      const call: Record<string, unknown> = {
        type: 'function_call',
        id: nextId('fc'),
        call_id: item.callId ?? nextId('call'),
        name: item.name,
        arguments: JSON.stringify(item.arguments ?? {}),
      };
      if (item.namespace) call.namespace = item.namespace;
      return call;
    }
    case 'patch':
      return {
        type: 'custom_tool_call',
        id: nextId('ctc'),
        call_id: item.callId ?? nextId('call'),
        name: 'apply_patch',
        input: item.patch,
      };
  }
}

function splitChunks(text: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, text.length || 1));
  const size = Math.ceil(text.length / count);
  const chunks: string[] = [];
  for (let i = 0; i < count; i++) chunks.push(text.slice(i * size, (i + 1) * size));
  return chunks.filter((c, i) => c !== '' || i === 0);
}

/**
 * Starts a scripted model on 127.0.0.1 (`port`, default any free one) that answers `POST …/responses`
 * with `script`'s replies (default `defaultScript`) as a Responses API event stream.
 */
export async function startScriptedModel(options: { script?: ModelScript; port?: number } = {}): Promise<ScriptedModel> {
  const script = options.script ?? defaultScript;
  const requests: ModelRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !(req.url ?? '').split('?')[0].endsWith('/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
      return;
    }
    const parsed = parseModelRequest(body);
    requests.push(parsed);
    const reply = await script(parsed);

    if ('httpError' in reply) {
      res.writeHead(reply.httpError.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: reply.httpError.message, type: 'invalid_request_error' } }));
      return;
    }
    if ('items' in reply && reply.delayMs) await sleep(reply.delayMs);
    if (closed) return;

    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (type: string, data: Record<string, unknown>) => {
      if (!res.writableEnded) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    const responseId = nextId('resp');
    send('response.created', { response: { id: responseId } });
    if ('hang' in reply) return; // left open; close() ends it
    if (reply.stallAfterCreatedMs) await sleep(reply.stallAfterCreatedMs);
    if (closed || res.writableEnded) return;

    let outputIndex = 0;
    for (const item of reply.items) {
      const wire = toWireItem(item);
      if (item.type === 'message' && reply.deltaChunks && reply.deltaChunks > 0) {
        send('response.output_item.added', { output_index: outputIndex, item: { ...wire, content: [] } });
        for (const delta of splitChunks(item.text, reply.deltaChunks)) {
          send('response.output_text.delta', { item_id: wire.id, output_index: outputIndex, content_index: 0, delta });
          if (reply.deltaDelayMs) await sleep(reply.deltaDelayMs);
        }
      } else if (item.type === 'reasoning' && reply.deltaChunks && reply.deltaChunks > 0) {
        // The server turns these into item/reasoning/summaryTextDelta notifications.
        send('response.output_item.added', { output_index: outputIndex, item: { ...wire, summary: [] } });
        send('response.reasoning_summary_part.added', {
          item_id: wire.id,
          output_index: outputIndex,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        });
        for (const delta of splitChunks(item.summary, reply.deltaChunks)) {
          send('response.reasoning_summary_text.delta', { item_id: wire.id, output_index: outputIndex, summary_index: 0, delta });
          if (reply.deltaDelayMs) await sleep(reply.deltaDelayMs);
        }
      }
      if (closed || res.writableEnded) return;
      send('response.output_item.done', { output_index: outputIndex, item: wire });
      outputIndex++;
    }
    send('response.completed', {
      response: {
        id: responseId,
        usage: { input_tokens: 10, input_tokens_details: null, output_tokens: 5, output_tokens_details: null, total_tokens: 15 },
      },
    });
    res.end();
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err?.message ?? err), type: 'server_error' } }));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const res of open) res.destroy();
      open.clear();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
