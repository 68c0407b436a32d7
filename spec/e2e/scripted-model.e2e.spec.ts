/**
 * End-to-end: the REAL `codex app-server` (the pinned version, or the one `npm run test:latest` installs) against the scripted model, through the bare client only.
 *
 * Surprises found while writing it (see also src/testing/*.ts headers):
 * - With unknown model metadata ("mock-model") the server offers no apply_patch tool; createCodexHome
 *   writes a `model_catalog_json` entry with `apply_patch_tool_type: "freeform"` to get it.
 * - apply_patch is a `custom` tool: the model sends `custom_tool_call {name:'apply_patch', input:<patch>}` and
 *   gets back `custom_tool_call_output`. exec_command takes `cmd` (+ `sandbox_permissions`, `justification`).
 * - The command approval's `command` is the shell-wrapped line `/bin/bash -lc '<cmd>'`, `reason` is the
 *   justification, and `availableDecisions` lists accept / acceptWithExecpolicyAmendment / cancel but not
 *   `decline` — which is still accepted and gives the item `status:'declined'`.
 * - An accepted escalated command runs unsandboxed in the thread cwd, so `sandbox_mode = "read-only"` still
 *   lets `RUN echo hi > out.txt` write the file. apply_patch asks `item/fileChange/requestApproval` with
 *   `reason: null` under on-request + read-only, and writes once accepted — but only into existing
 *   directories: `PATCH notes/x.txt ...` fails with "Failed to create parent directories" (item status
 *   'failed'). Under workspace-write, patches inside the cwd are applied with no approval request at all.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BareClient } from '../support/bare-client';
import { createCodexHome, resolveCodexLaunch, type CodexHome } from '../../src/testing/codex-home';
import { startScriptedModel, type ScriptedModel } from '../../src/testing/scripted-model';

jest.setTimeout(30000);

type Note = { method: string; params: any };
type ServerReq = { id: number | string; method: string; params: any };

interface TurnResult {
  turn: any;
  notes: Note[];
  requests: ServerReq[];
  elapsedMs: number;
}

describe('scripted model: SSE wire (no codex)', () => {
  let model: ScriptedModel;
  beforeAll(async () => {
    model = await startScriptedModel();
  });
  afterAll(() => model.close());

  const post = (text: string) =>
    fetch(`${model.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }] }),
    });

  it('streams event/data pairs that repeat the type, ending in response.completed with usage', async () => {
    const res = await post('STREAM 2 abcd');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((block) => {
        const [ev, data] = block.split('\n');
        const json = JSON.parse(data.slice('data: '.length));
        expect(ev).toBe(`event: ${json.type}`);
        return json;
      });
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2].delta + events[3].delta).toBe('abcd');
    expect(events[5].response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: null,
      output_tokens: 5,
      output_tokens_details: null,
      total_tokens: 15,
    });
    expect(model.requests[model.requests.length - 1].userText).toBe('STREAM 2 abcd');
  });

  it('answers FAIL with an HTTP error and a JSON error body', async () => {
    const res = await post('FAIL nope');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'nope', type: 'invalid_request_error' } });
  });
});

describe('real codex app-server against the scripted model', () => {
  let model: ScriptedModel;
  let home: CodexHome;
  let client: BareClient;
  const tmpDirs: string[] = [];
  const noteListeners = new Set<(n: Note) => void>();
  /** Decides the answer to each server request; unset means a -32601 error, as a real client must send. */
  let answer: ((req: ServerReq) => unknown) | null = null;
  const seenRequests: ServerReq[] = [];

  beforeAll(async () => {
    model = await startScriptedModel();
    home = await createCodexHome({ modelUrl: model.url, approvalPolicy: 'on-request', sandbox: 'read-only' });
    const launch = resolveCodexLaunch();
    client = new BareClient({
      command: launch.command,
      env: { ...launch.env, ...home.env },
      onNotification: (n) => noteListeners.forEach((l) => l(n)),
      onServerRequest: (req) => {
        seenRequests.push(req);
        if (answer) client.respond(req.id, answer(req));
        else client.respondError(req.id, -32601, `no handler for ${req.method}`);
      },
    });
    const init = await client.initialize('scripted-model-e2e');
    expect(init.codexHome).toBe(home.dir);
  });

  afterAll(async () => {
    await client?.close();
    await model?.close();
    await home?.cleanup();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  afterEach(() => {
    answer = null;
  });

  async function startThread(): Promise<{ threadId: string; cwd: string }> {
    const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-ws-')));
    tmpDirs.push(cwd);
    const res = await client.request('thread/start', { cwd });
    return { threadId: res.thread.id, cwd };
  }

  /** Sends one turn and collects its notifications until turn/completed (listening before sending). */
  async function runTurn(threadId: string, text: string): Promise<TurnResult> {
    const notes: Note[] = [];
    const firstRequest = seenRequests.length;
    const started = Date.now();
    let listener!: (n: Note) => void;
    const done = new Promise<any>((resolve) => {
      listener = (n) => {
        if (n.params?.threadId !== threadId) return;
        notes.push(n);
        if (n.method === 'turn/completed') resolve(n.params.turn);
      };
      noteListeners.add(listener);
    });
    try {
      const res = await client.request('turn/start', { threadId, input: [{ type: 'text', text }] });
      expect(res.turn.status).toBe('inProgress');
      const turn = await done;
      return { turn, notes, requests: seenRequests.slice(firstRequest), elapsedMs: Date.now() - started };
    } finally {
      noteListeners.delete(listener);
    }
  }

  const completedItems = (r: TurnResult) => r.notes.filter((n) => n.method === 'item/completed').map((n) => n.params.item);

  it('ECHO completes with the agent message, and its deltas concatenate to it', async () => {
    const { threadId } = await startThread();
    const r = await runTurn(threadId, 'ECHO hello world');
    expect(r.turn.status).toBe('completed');
    const msg = completedItems(r).find((i) => i.type === 'agentMessage');
    expect(msg.text).toBe('Echo: hello world');
    const deltas = r.notes.filter((n) => n.method === 'item/agentMessage/delta' && n.params.itemId === msg.id);
    expect(deltas).toHaveLength(3);
    expect(deltas.map((d) => d.params.delta).join('')).toBe(msg.text);
    expect(model.requests[model.requests.length - 1].userText).toBe('ECHO hello world');
  });

  it('THINK gives a reasoning item, then a message', async () => {
    const { threadId } = await startThread();
    const r = await runTurn(threadId, 'THINK about rivers');
    const items = completedItems(r).filter((i) => i.type !== 'userMessage');
    expect(items.map((i) => i.type)).toEqual(['reasoning', 'agentMessage']);
    expect(items[0].summary).toEqual(['Thinking about: about rivers']);
    expect(items[1].text).toBe('about rivers');
  });

  it('FAIL ends the turn failed with the message', async () => {
    const { threadId } = await startThread();
    const r = await runTurn(threadId, 'FAIL the model refused');
    expect(r.turn.status).toBe('failed');
    expect(r.turn.error.message).toContain('the model refused');
    const err = r.notes.find((n) => n.method === 'error');
    expect(err?.params.error.message).toContain('the model refused');
    expect(err?.params.willRetry).toBe(false);
  });

  it('RUN asks for command approval; accept runs the escalated command in the cwd', async () => {
    const { threadId, cwd } = await startThread();
    answer = () => ({ decision: 'accept' });
    const r = await runTurn(threadId, 'RUN echo hi > out.txt && echo done');
    const approvals = r.requests.filter((q) => q.method === 'item/commandExecution/requestApproval');
    expect(approvals).toHaveLength(1);
    const p = approvals[0].params;
    expect(p).toMatchObject({ threadId, turnId: r.turn.id, cwd, reason: 'Needs to run: echo hi > out.txt && echo done' });
    expect(p.command).toContain('echo hi > out.txt && echo done');
    expect(r.notes.some((n) => n.method === 'serverRequest/resolved' && n.params.requestId === approvals[0].id)).toBe(true);

    expect(r.turn.status).toBe('completed');
    expect(fs.readFileSync(path.join(cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    const items = completedItems(r);
    expect(items.find((i) => i.type === 'reasoning')?.summary).toEqual(['Planning to run the command.']);
    expect(items.find((i) => i.type === 'commandExecution')).toMatchObject({ status: 'completed', exitCode: 0, cwd });
    expect(items.find((i) => i.type === 'agentMessage')?.text).toBe('Command finished: done');
  });

  it('RUN declined does not run the command', async () => {
    const { threadId, cwd } = await startThread();
    answer = () => ({ decision: 'decline' });
    const r = await runTurn(threadId, 'RUN echo hi > out.txt');
    expect(r.requests.map((q) => q.method)).toEqual(['item/commandExecution/requestApproval']);
    expect(r.turn.status).toBe('completed');
    expect(fs.existsSync(path.join(cwd, 'out.txt'))).toBe(false);
    expect(completedItems(r).find((i) => i.type === 'commandExecution')?.status).toBe('declined');
  });

  it('PATCH asks for file-change approval; accept writes the file', async () => {
    const { threadId, cwd } = await startThread();
    answer = () => ({ decision: 'accept' });
    const r = await runTurn(threadId, 'PATCH hello.txt hello there');
    const approvals = r.requests.filter((q) => q.method === 'item/fileChange/requestApproval');
    expect(approvals).toHaveLength(1);
    expect(approvals[0].params).toMatchObject({ threadId, turnId: r.turn.id });
    expect(r.turn.status).toBe('completed');
    expect(fs.readFileSync(path.join(cwd, 'hello.txt'), 'utf8')).toBe('hello there\n');
    const change = completedItems(r).find((i) => i.type === 'fileChange');
    expect(change.status).toBe('completed');
    expect(change.changes[0]).toMatchObject({ path: path.join(cwd, 'hello.txt'), kind: { type: 'add' } });
    expect(completedItems(r).find((i) => i.type === 'agentMessage')?.text).toBe('Patch applied.');
    // The follow-up request carried apply_patch's output as a custom_tool_call_output.
    expect(model.requests[model.requests.length - 1].body.input.at(-1).type).toBe('custom_tool_call_output');
  });

  it('SLOW answers late', async () => {
    const { threadId } = await startThread();
    const r = await runTurn(threadId, 'SLOW 800 finally here');
    expect(r.turn.status).toBe('completed');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(800);
    expect(completedItems(r).find((i) => i.type === 'agentMessage')?.text).toBe('finally here');
  });

  it('HANG keeps the turn open until turn/interrupt', async () => {
    const { threadId } = await startThread();
    let turnId = '';
    const startedSeen = new Promise<void>((resolve) => {
      const l = (n: Note) => {
        if (n.method === 'turn/started' && n.params.threadId === threadId) {
          turnId = n.params.turn.id;
          noteListeners.delete(l);
          resolve();
        }
      };
      noteListeners.add(l);
    });
    const turn = runTurn(threadId, 'HANG');
    await startedSeen;
    while (model.requests[model.requests.length - 1]?.userText !== 'HANG') await new Promise((r) => setTimeout(r, 20));
    const requestsBefore = model.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(model.requests.length).toBe(requestsBefore); // nothing retried, nothing finished
    await client.request('turn/interrupt', { threadId, turnId });
    const r = await turn;
    expect(r.turn.status).toBe('interrupted');
  });
});
