import {
  CommandApprovalParamsCodec,
  ErrorNotificationParamsCodec,
  FileChangeApprovalParamsCodec,
  ItemCompletedParamsCodec,
  ItemDeltaParamsCodec,
  ServerRequestResolvedParamsCodec,
  ThreadStatusChangedParamsCodec,
  ToolRequestUserInputParamsCodec,
  TurnCompletedParamsCodec,
  TurnStartedParamsCodec,
  asFrame,
} from '../../src/protocol/codecs';
import { isNotification, isRequest } from '../../src/protocol/messages';
import * as F from '../../src/testing';

const ids = { threadId: 'thr_1', turnId: 'turn_1' };

describe('frame builders', () => {
  afterEach(() => F.setFrameClock(null));

  it('envelopes: response, errorResponse, notification, serverRequest (no jsonrpc key)', () => {
    expect(F.response(1, { ok: true })).toEqual({ id: 1, result: { ok: true } });
    expect(F.errorResponse(2, -32600, 'Not initialized')).toEqual({ id: 2, error: { code: -32600, message: 'Not initialized' } });
    expect('data' in F.errorResponse(2, -1, 'x').error).toBe(false);
    expect(F.errorResponse('s', -32001, 'busy', { retry: true })).toEqual({
      id: 's',
      error: { code: -32001, message: 'busy', data: { retry: true } },
    });
    expect(F.notification('warning', { message: 'hi' })).toEqual({
      method: 'warning',
      params: { message: 'hi' },
      emittedAtMs: F.DEFAULT_FRAME_TIME_MS,
    });
    expect(F.serverRequest(0, 'item/tool/call', { a: 1 })).toEqual({ id: 0, method: 'item/tool/call', params: { a: 1 } });
    for (const f of [F.response(1, 1), F.notification('x', {}), F.serverRequest(0, 'm', {})]) {
      expect('jsonrpc' in f).toBe(false);
      expect(asFrame(JSON.parse(JSON.stringify(f)))).not.toBeNull();
    }
  });

  it('every notification builder carries emittedAtMs from the frame clock', () => {
    F.setFrameClock(() => 42);
    const all = [
      F.threadStarted({ threadId: 'thr_1' }),
      F.turnStarted(ids),
      F.turnCompleted(ids),
      F.itemStarted({ ...ids, item: F.agentMessageItem('i', '') }),
      F.itemCompleted({ ...ids, item: F.agentMessageItem('i', 'x') }),
      F.agentDelta({ ...ids, itemId: 'i', delta: 'a' }),
      F.reasoningDelta({ ...ids, itemId: 'r', delta: 'a' }),
      F.reasoningTextDelta({ ...ids, itemId: 'r', delta: 'a' }),
      F.commandOutputDelta({ ...ids, itemId: 'c', delta: 'a' }),
      F.errorNotification({ ...ids, message: 'boom' }),
      F.threadStatusChanged({ threadId: 'thr_1', status: 'idle' }),
      F.tokenUsageUpdated(ids),
      F.serverRequestResolved({ threadId: 'thr_1', requestId: 0 }),
    ];
    for (const f of all) {
      expect(f.emittedAtMs).toBe(42);
      expect(isNotification(f)).toBe(true);
    }
    expect(F.itemCompleted({ ...ids, item: F.agentMessageItem('i', 'x') }).params.completedAtMs).toBe(42);
    expect(F.itemStarted({ ...ids, item: F.agentMessageItem('i', 'x') }).params.startedAtMs).toBe(42);
    F.setFrameClock(null);
    expect(F.turnStarted(ids).emittedAtMs).toBe(F.DEFAULT_FRAME_TIME_MS);
  });

  it('turn notifications match the server: turn/started inProgress, turn/completed with status and error', () => {
    const started = F.turnStarted(ids);
    expect(started.method).toBe('turn/started');
    expect(started.params).toMatchObject({ threadId: 'thr_1', turn: { id: 'turn_1', status: 'inProgress', error: null, items: [] } });
    expect(TurnStartedParamsCodec.is(started.params)).toBe(true);

    const done = F.turnCompleted(ids);
    expect(done.params.turn).toMatchObject({ id: 'turn_1', status: 'completed', error: null });
    expect(TurnCompletedParamsCodec.is(done.params)).toBe(true);

    const failed = F.turnCompleted({ ...ids, status: 'failed', error: 'model exploded' });
    expect(failed.params.turn.status).toBe('failed');
    expect(failed.params.turn.error).toEqual({
      message: 'model exploded',
      codexErrorInfo: null,
      additionalDetails: null,
      misalignment: null,
    });
    expect(F.turnCompleted({ ...ids, status: 'failed' }).params.turn.error?.message).toBe('turn failed');
    expect(F.turnCompleted({ ...ids, status: 'interrupted' }).params.turn).toMatchObject({ status: 'interrupted', error: null });
  });

  it('items have the server field sets', () => {
    expect(F.agentMessageItem('a1', 'Hello')).toMatchObject({ type: 'agentMessage', id: 'a1', text: 'Hello', phase: null });
    expect(F.agentMessageItem('a1', 'x', { phase: 'final_answer' }).phase).toBe('final_answer');
    expect(F.reasoningItem('r1', ['sum'])).toEqual({ type: 'reasoning', id: 'r1', summary: ['sum'], content: [] });
    expect(F.reasoningItem('r1', ['s'], ['raw']).content).toEqual(['raw']);
    expect(F.commandExecutionItem('c1', 'ls -la', { exitCode: 2, aggregatedOutput: 'oops' })).toMatchObject({
      type: 'commandExecution',
      id: 'c1',
      command: 'ls -la',
      status: 'completed',
      exitCode: 2,
      aggregatedOutput: 'oops',
      commandActions: [{ type: 'unknown', command: 'ls -la' }],
    });
    expect(F.fileChangeItem('f1', [{ path: 'a.txt', kind: 'add', diff: '+x' }, { path: 'b.txt' }])).toEqual({
      type: 'fileChange',
      id: 'f1',
      status: 'completed',
      changes: [
        { path: 'a.txt', kind: { type: 'add' }, diff: '+x' },
        { path: 'b.txt', kind: { type: 'update', move_path: null }, diff: '' },
      ],
    });
    expect(F.userMessageItem('u1', 'hi')).toEqual({
      type: 'userMessage',
      id: 'u1',
      clientId: null,
      content: [{ type: 'text', text: 'hi', text_elements: [] }],
    });
    expect(F.genericItem('webSearch', 'w1', { query: 'q' })).toEqual({ type: 'webSearch', id: 'w1', query: 'q' });
    const completed = F.itemCompleted({ ...ids, item: F.reasoningItem('r1', ['s']) });
    expect(completed.method).toBe('item/completed');
    expect(ItemCompletedParamsCodec.is(completed.params)).toBe(true);
  });

  it('deltas use the server method names and decode as item deltas', () => {
    const d = { ...ids, itemId: 'i1', delta: 'chunk' };
    expect(F.agentDelta(d).method).toBe('item/agentMessage/delta');
    expect(F.reasoningDelta(d)).toMatchObject({ method: 'item/reasoning/summaryTextDelta', params: { summaryIndex: 0 } });
    expect(F.reasoningTextDelta({ ...d, contentIndex: 2 })).toMatchObject({
      method: 'item/reasoning/textDelta',
      params: { contentIndex: 2 },
    });
    expect(F.commandOutputDelta(d).method).toBe('item/commandExecution/outputDelta');
    for (const f of [F.agentDelta(d), F.reasoningDelta(d), F.reasoningTextDelta(d), F.commandOutputDelta(d)]) {
      expect(ItemDeltaParamsCodec.is(f.params)).toBe(true);
      expect(f.params).toMatchObject(d);
    }
  });

  it('thread and misc notifications', () => {
    expect(F.threadStarted({ threadId: 't9' }).params.thread).toMatchObject({ id: 't9', status: { type: 'idle' }, turns: [] });
    const active = F.threadStatusChanged({ threadId: 't', status: 'active' });
    expect(active).toMatchObject({
      method: 'thread/status/changed',
      params: { threadId: 't', status: { type: 'active', activeFlags: [] } },
    });
    expect(F.threadStatusChanged({ threadId: 't', status: 'idle' }).params.status).toEqual({ type: 'idle' });
    expect(ThreadStatusChangedParamsCodec.is(active.params)).toBe(true);
    const err = F.errorNotification({ ...ids, message: 'rate limited', willRetry: true });
    expect(err).toMatchObject({ method: 'error', params: { error: { message: 'rate limited' }, willRetry: true, ...ids } });
    expect(ErrorNotificationParamsCodec.is(err.params)).toBe(true);
    const usage = F.tokenUsageUpdated({ ...ids, total: { totalTokens: 10, inputTokens: 7, outputTokens: 3 } });
    expect(usage.method).toBe('thread/tokenUsage/updated');
    expect(usage.params.tokenUsage.total).toMatchObject({ totalTokens: 10, inputTokens: 7, outputTokens: 3, cachedInputTokens: 0 });
    const resolved = F.serverRequestResolved({ threadId: 't', requestId: 0 });
    expect(resolved.params).toEqual({ threadId: 't', requestId: 0 });
    expect(ServerRequestResolvedParamsCodec.is(resolved.params)).toBe(true);
  });

  it('server requests: command approval, file-change approval, user input', () => {
    const cmd = F.approvalRequest({ id: 0, ...ids, itemId: 'c1', command: 'rm -rf build', reason: 'needs write' });
    expect(isRequest(cmd)).toBe(true);
    expect(cmd).toMatchObject({
      id: 0,
      method: 'item/commandExecution/requestApproval',
      params: { kind: 'command', ...ids, itemId: 'c1', command: 'rm -rf build', reason: 'needs write', cwd: null },
    });
    expect('emittedAtMs' in cmd).toBe(false);
    expect('availableDecisions' in cmd.params).toBe(false);
    expect(F.approvalRequest({ id: 1, ...ids, itemId: 'c', availableDecisions: ['accept', 'decline'] }).params.availableDecisions).toEqual([
      'accept',
      'decline',
    ]);
    expect(CommandApprovalParamsCodec.is(cmd.params)).toBe(true);

    const file = F.fileChangeApprovalRequest({ id: 'r2', ...ids, itemId: 'f1', grantRoot: '/repo' });
    expect(file).toMatchObject({ id: 'r2', method: 'item/fileChange/requestApproval', params: { grantRoot: '/repo', reason: null } });
    expect(FileChangeApprovalParamsCodec.is(file.params)).toBe(true);

    const input = F.userInputRequest({ id: 3, ...ids, itemId: 'q', questions: [{ id: 'color', question: 'Which?' }] });
    expect(input).toMatchObject({
      id: 3,
      method: 'item/tool/requestUserInput',
      params: {
        questions: [{ id: 'color', question: 'Which?', header: '', isOther: false, isSecret: false, options: null }],
        isBlocking: true,
      },
    });
    expect(ToolRequestUserInputParamsCodec.is(input.params)).toBe(true);
  });
});
