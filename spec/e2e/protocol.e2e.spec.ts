/**
 * End-to-end: the typed protocol surface against the REAL `codex app-server` (the pinned version,
 * or the one `npm run test:latest` installs) and the scripted model: the server's version, input
 * beyond text, typed steps, events and notifications, the README's approval example, reads of
 * stored turns, and methods the server lacks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom, Subscription, toArray } from 'rxjs';
import { CodexClient } from '../../src/client';
import { CodexProtocolError } from '../../src/errors';
import type { ConversationStep, Diagnostic, TurnEvent } from '../../src/models';
import { ofMethod } from '../../src/operators';
import type { UserInput } from '../../src/protocol/generated/v2/UserInput';
import { PROTOCOL_SERVER_VERSION } from '../../src/protocol/methods';
import type { ServerNotification } from '../../src/protocol/server-messages';
import { StdioTransport } from '../../src/streams/stdio';
import { defaultScript, type ModelScript } from '../../src/testing/scripted-model';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';
import { itSince } from '../support/server-version';

jest.setTimeout(30_000);

/** A 1×1 PNG. */
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** `NO_ANSWER`: the model only reasons (the turn completes without an agent message); anything else: the default script. */
const script: ModelScript = (req) =>
  req.userText?.startsWith('NO_ANSWER') ? { items: [{ type: 'reasoning', summary: 'Nothing to say.' }] } : defaultScript(req);

/** The `input_image` parts of the model requests, in order. */
const imagesSent = (off: OfflineCodex): Array<Record<string, unknown>> =>
  off.model.requests.flatMap((q) =>
    (q.body.input as any[])
      .filter((i) => i?.type === 'message' && i.role === 'user' && Array.isArray(i.content))
      .flatMap((i) => (i.content as any[]).filter((c) => c?.type === 'input_image')),
  );

describe('the typed protocol against the real app-server', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  const notes: ServerNotification[] = [];
  const diagnostics: Diagnostic[] = [];
  const subs: Subscription[] = [];
  const sentMethods: string[] = [];
  const cfg = () => ({ threadConfig: { cwd: off.workspace } });

  beforeAll(async () => {
    off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false }, script });
    // A client whose transport records the methods it sends.
    const transport = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
    const send = transport.send.bind(transport);
    transport.send = (message: string) => {
      sentMethods.push(String(JSON.parse(message).method));
      return send(message);
    };
    client = new CodexClient(transport);
    subs.push(client.notifications$.subscribe((n) => notes.push(n)));
    subs.push(client.diagnostics$.subscribe((d) => diagnostics.push(d)));
  });

  afterAll(async () => {
    subs.forEach((s) => s.unsubscribe());
    await client?.close();
    await off?.dispose();
  });

  it('initialize(): serverVersion is the version of the server that runs; a mismatch diagnostic only when it is not the pinned one', async () => {
    const init = await client.initialize();
    expect(init.serverVersion).toBe(off.serverVersion);
    expect(init.serverInfo?.userAgent).toContain(`/${off.serverVersion} (`);
    expect(init.protocolVersion).toBeNull();
    const mismatches = diagnostics.filter((d) => d.kind === 'version-mismatch');
    if (off.serverVersion === PROTOCOL_SERVER_VERSION) expect(mismatches).toEqual([]);
    else
      expect(mismatches).toEqual([
        expect.objectContaining({ detail: { serverVersion: off.serverVersion, protocolVersion: PROTOCOL_SERVER_VERSION } }),
      ]);
  });

  it('UserInput[]: a local image and an image URL reach the model as input_image parts, with the text', async () => {
    const file = path.join(off.workspace, 'dot.png');
    fs.writeFileSync(file, Buffer.from(PNG_BASE64, 'base64'));
    const dataUrl = `data:image/png;base64,${PNG_BASE64}`;
    const input: UserInput[] = [
      { type: 'text', text: 'ECHO what is in these pictures?', text_elements: [] },
      { type: 'localImage', path: file },
      { type: 'image', url: dataUrl },
    ];
    const before = imagesSent(off).length;
    const result = await client.chatOnce(input, cfg());
    expect(result.finalText).toContain('Echo:');
    const sent = imagesSent(off).slice(before);
    expect(sent).toHaveLength(2);
    // The local file is sent inline, as a data URL of its bytes.
    expect(sent.every((p) => typeof p.image_url === 'string' && (p.image_url as string).startsWith('data:image/png;base64,'))).toBe(true);
    expect(sent.map((p) => p.image_url)).toContain(dataUrl);
    const lastUserText = off.model.requests.at(-1)!.body.input.at(-1);
    expect(JSON.stringify(lastUserText)).toContain('ECHO what is in these pictures?');
  });

  it('steps carry the typed item: narrowing on item.type gives a command its command, exit code and actions', async () => {
    client.setApprovalHandler(() => 'accept');
    try {
      const steps: ConversationStep[] = await lastValueFrom(client.chat('RUN echo typed', cfg()).pipe(toArray()));
      const exec = steps.find((s) => s.stepType === 'exec');
      if (exec?.item.type !== 'commandExecution') throw new Error('no commandExecution step');
      expect(exec.item.exitCode).toBe(0);
      expect(exec.item.aggregatedOutput).toContain('typed');
      expect(exec.item.commandActions).toEqual([{ type: 'unknown', command: 'echo typed' }]);
      expect(exec.item).toBe(exec.data);
      const answer = steps.find((s) => s.item.type === 'agentMessage');
      expect(answer?.item.type === 'agentMessage' && answer.item.text).toBe('Command finished: typed');
    } finally {
      client.setApprovalHandler(null);
    }
  });

  it('usage: a typed usage event, the notification through ofMethod, and ChatResult.usage, all from the same update', async () => {
    const usage$ = firstValueFrom(client.notifications$.pipe(ofMethod('thread/tokenUsage/updated')));
    const events: TurnEvent[] = await lastValueFrom(client.chatEvents('ECHO count me', cfg()).pipe(toArray()));
    const usageEvents = events.filter((e): e is Extract<TurnEvent, { type: 'usage' }> => e.type === 'usage');
    expect(usageEvents.length).toBeGreaterThan(0);
    const completed = events.at(-1);
    if (completed?.type !== 'completed') throw new Error('no completed event');
    const last = usageEvents.at(-1)!.usage;
    expect(completed.result.usage).toEqual(last);
    // The scripted model reports 10 input and 5 output tokens per response.
    expect(last.last).toMatchObject({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    const notified = await usage$;
    expect(notified.turnId).toBe(completed.turnId);
    expect(notified.tokenUsage).toEqual(last);
  });

  it("the README's approval handler: accepts exactly `npm test` (its commandActions), declines anything else", async () => {
    fs.writeFileSync(path.join(off.workspace, 'package.json'), JSON.stringify({ name: 'w', scripts: { test: 'echo tests-ran' } }));
    // README.md, "Approvals":
    client.setApprovalHandler(async (req) => {
      // `commandActions` holds the commands as the model asked for them; `req.command` is the shell
      // line the server runs (`/bin/bash -lc '…'`).
      const commands = req.kind === 'command' ? (req.commandActions ?? []).map((a) => a.command) : [];
      if (commands.length > 0 && commands.every((c) => c === 'npm test')) return 'accept';
      return 'decline'; // also 'acceptForSession', 'cancel', { acceptWithExecpolicyAmendment: [...] }
    });
    try {
      const seen: string[] = [];
      const sub = client.approvalRequests$.subscribe((r) => seen.push(r.kind === 'command' ? (r.command ?? '') : ''));
      const accepted = await client.chatOnce('RUN npm test', cfg());
      const declined = await client.chatOnce('RUN npm test; touch pwned', cfg());
      sub.unsubscribe();
      // What the server asks about is shell-wrapped: a plain startsWith('npm test') on it never matches.
      expect(seen).toHaveLength(2);
      expect(seen[0]).not.toMatch(/^npm test/);
      expect(accepted.finalText).toMatch(/^Command finished: /);
      const ran = accepted.rawEvents.find((e) => e.method === 'item/completed' && (e.params as any).item.type === 'commandExecution');
      expect((ran?.params as any).item).toMatchObject({ status: 'completed', exitCode: 0 });
      expect((ran?.params as any).item.aggregatedOutput).toContain('tests-ran');
      const refused = declined.rawEvents.find((e) => e.method === 'item/completed' && (e.params as any).item.type === 'commandExecution');
      expect((refused?.params as any).item.status).toBe('declined');
      expect(fs.existsSync(path.join(off.workspace, 'pwned'))).toBe(false);
    } finally {
      client.setApprovalHandler(null);
    }
  });

  it('a turn without an answer reads its stored turn through thread/turns/list: no deprecationNotice (readThread with turns draws one)', async () => {
    const from = notes.length;
    const sentFrom = sentMethods.length;
    const err = await client.chatOnce('NO_ANSWER', cfg()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toMatch(/without an assistant message/);
    expect(sentMethods.slice(sentFrom)).toEqual(['thread/start', 'turn/start', 'thread/turns/list']);
    // The fallback's read drew no notice; the one below (the deprecated full read) does, so this can fail.
    const read = await client.request('thread/list', { limit: 1 });
    await client.readThread(read.data[0]!.id, { includeTurns: true });
    await new Promise((r) => setTimeout(r, 100));
    const notices = notes.slice(from).filter((n) => n.method === 'deprecationNotice');
    expect(notices).toHaveLength(1);
  });

  itSince('0.171.0')('modelProvider/default/set (new in 0.171.0) answers the ConfigWriteResponse shape it is typed with', async () => {
    const r = await client.request('modelProvider/default/set', { providerId: 'mock' });
    expect(r).toMatchObject({ status: 'ok', filePath: path.join(off.home.dir, 'config.toml') });
    expect(typeof r.version).toBe('string');
  });

  it('a method the server lacks: a CodexProtocolError that names the method and the server version', async () => {
    const err = await client.request('vendor/frobnicate', {}).then(
      () => null,
      (e: unknown) => e as CodexProtocolError,
    );
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect(err!.code).toBe(-32600);
    expect(err!.message).toContain(`codex app-server ${off.serverVersion} has no method 'vendor/frobnicate'`);
  });
});
