/**
 * Observability hooks: the `diagnostics_channel` channels (`codex-rx:frame:in|out`) and tracing
 * channels (`codex-rx:request`, `codex-rx:turn`), their zero cost with no subscriber, W3C trace
 * context on the request envelope, and the `NODE_DEBUG=codex-rx` log (redacted).
 */
import { spawnSync } from 'node:child_process';
import * as dc from 'node:diagnostics_channel';
import * as path from 'node:path';
import { CodexClient } from '../../src/client';
import { JsonRpcConnection } from '../../src/streams/connection';
import { nodeProbe } from '../../src/streams/node-probe';
import { FakeAppServer } from '../../src/testing/fake-server';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';

type Msg = { frame: { id?: unknown; method?: string; trace?: unknown }; connection: unknown };

/** Subscribes `fn` to a channel for the duration of `body`. */
async function listening<T>(name: string, fn: (m: unknown) => void, body: () => Promise<T>): Promise<T> {
  dc.subscribe(name, fn);
  try {
    return await body();
  } finally {
    dc.unsubscribe(name, fn);
  }
}

type Events = Array<[string, Record<string, unknown>]>;
/** Subscribes to every event of a tracing channel for the duration of `body`, recording them in order. */
async function tracing<T>(name: string, events: Events, body: () => Promise<T>): Promise<T> {
  const channel = dc.tracingChannel(name);
  const handlers = Object.fromEntries(
    ['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((e) => [e, (m: unknown) => events.push([e, { ...(m as object) }])]),
  ) as never;
  channel.subscribe(handlers);
  try {
    return await body();
  } finally {
    channel.unsubscribe(handlers);
  }
}

describe('codex-rx:frame:in / codex-rx:frame:out', () => {
  it('publish every frame with its connection', async () => {
    const server = new FakeAppServer();
    const client = server.client();
    const seen: string[] = [];
    const connections = new Set<unknown>();
    const record = (dir: string) => (m: unknown) => {
      const { frame, connection } = m as Msg;
      connections.add(connection);
      seen.push(`${dir} ${frame.method ?? 'answer'}`);
    };
    await listening('codex-rx:frame:in', record('in'), () =>
      listening('codex-rx:frame:out', record('out'), async () => {
        await client.chatOnce('hello');
      }),
    );
    expect(seen.slice(0, 3)).toEqual(['out initialize', 'in answer', 'out initialized']);
    expect(seen).toContain('out turn/start');
    expect(seen).toContain('in turn/completed');
    expect(connections.size).toBe(1);
    expect([...connections][0]).toBeInstanceOf(JsonRpcConnection);
    await client.close();
  });

  it('cost nothing with no subscriber: an outbound text is not even parsed', () => {
    expect(() => nodeProbe.outbound('{ not json', {})).not.toThrow();
    expect(nodeProbe.request('model/list', {}, {})).toBeNull();
    // With a subscriber it is parsed (and here fails): the check above is real.
    const fn = () => undefined;
    dc.subscribe('codex-rx:frame:out', fn);
    try {
      expect(() => nodeProbe.outbound('{ not json', {})).toThrow(SyntaxError);
    } finally {
      dc.unsubscribe('codex-rx:frame:out', fn);
    }
  });
});

describe('tracing channels', () => {
  it('codex-rx:request: start, end, then asyncStart/asyncEnd with the result, or error', async () => {
    const server = new FakeAppServer();
    server.handle('model/list', () => ({ data: [], nextCursor: null }) as never);
    server.handle('config/read', () => {
      throw new Error('nope');
    });
    const client = server.client();
    await client.initialize();
    const events: Events = [];
    await tracing('codex-rx:request', events, async () => {
      await client.listModels();
      await client.readConfig().catch(() => undefined);
    });
    expect(events.map(([e, c]) => `${e} ${String(c.method)}`)).toEqual([
      'start model/list',
      'end model/list',
      'asyncStart model/list',
      'asyncEnd model/list',
      'start config/read',
      'end config/read',
      'error config/read',
      'asyncStart config/read',
      'asyncEnd config/read',
    ]);
    expect(events[3]![1].result).toMatchObject({ data: expect.any(Array) });
    expect(events[6]![1].error).toBeInstanceOf(Error);
    await client.close();
  });

  it('codex-rx:turn: from turn/started to turn/completed; a failed turn publishes error', async () => {
    const server = new FakeAppServer({ script: (turn) => (turn.text === 'fail' ? turn.fail('broken') : turn.message('ok')) });
    const client = server.client();
    const events: Events = [];
    await tracing('codex-rx:turn', events, async () => {
      await client.chatOnce('hello');
      await client.chatOnce('fail').catch(() => undefined);
    });
    expect(events.map(([e, c]) => `${e} ${String(c.turnId)}`)).toEqual([
      'start turn-1',
      'end turn-1',
      'asyncStart turn-1',
      'asyncEnd turn-1',
      'start turn-2',
      'end turn-2',
      'error turn-2',
      'asyncStart turn-2',
      'asyncEnd turn-2',
    ]);
    expect(events[0]![1]).toMatchObject({ threadId: 'thr-1', turnId: 'turn-1' });
    expect(events[3]![1].turn).toMatchObject({ status: 'completed' });
    expect((events[6]![1].error as Error).message).toContain('broken');
    await client.close();
  });

  it('a turn traced when the connection closes ends with the close error', async () => {
    const server = new FakeAppServer({ script: (turn) => turn.keepOpen() });
    const client = server.client();
    const events: Events = [];
    await tracing('codex-rx:turn', events, async () => {
      const sub = client.chatEvents('hang').subscribe({ error: () => undefined });
      for (let i = 0; i < 20 && events.length < 2; i++) await new Promise((r) => setImmediate(r));
      await client.close();
      sub.unsubscribe();
    });
    expect(events.map(([e]) => e)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect((events[2]![1].error as { code?: string }).code).toBe('closed');
  });
});

describe('W3C trace context', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('RequestOptions.trace goes on the request envelope', async () => {
    const transport = new InMemoryTransport({
      autoRespond: (f) => ({ id: f.id, result: f.method === 'initialize' ? { userAgent: 'x/0.171.0 (linux)' } : {} }),
    });
    const client = new CodexClient(transport);
    await client.request('model/list', {}, { trace: { traceparent, tracestate: 'k=v' } });
    expect(transport.sentWithMethod('model/list')[0]).toEqual({
      id: expect.any(Number),
      method: 'model/list',
      params: {},
      trace: { traceparent, tracestate: 'k=v' },
    });
    expect(transport.sentWithMethod('initialize')[0]).not.toHaveProperty('trace');
    await client.close();
  });

  it('ChatOptions.trace goes on the turn/start request', async () => {
    const server = new FakeAppServer();
    const client = server.client();
    const out: Msg['frame'][] = [];
    client.framesOut$.subscribe((f) => out.push(f as Msg['frame']));
    await client.chatOnce('hello', { trace: { traceparent } });
    expect(out.find((f) => f.method === 'turn/start')?.trace).toEqual({ traceparent });
    expect(out.find((f) => f.method === 'thread/start')).not.toHaveProperty('trace');
    await client.close();
  });
});

describe('NODE_DEBUG=codex-rx', () => {
  it('logs frames and lifecycle to stderr, secrets scrubbed; silent without it', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../scripts/lib/packed.js').ensureBuilt();
    const root = path.resolve(__dirname, '../..');
    const script = `
      const { FakeAppServer } = require('./dist/cjs/testing');
      const client = new FakeAppServer().client();
      client.request('config/value/write', { keyPath: 'x', value: { api_key: 'sk-verysecretvalue1234' } })
        .catch(() => undefined).then(() => client.close());`;
    const stderrWith = (env: Record<string, string>) => {
      const run = spawnSync(process.execPath, ['-e', script], {
        cwd: root,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(0);
      return run.stderr;
    };
    expect(stderrWith({ NODE_DEBUG: '' })).toBe('');
    const log = stderrWith({ NODE_DEBUG: 'codex-rx' });
    expect(log).toMatch(/^CODEX-RX \d+: connected$/m);
    expect(log).toMatch(/^CODEX-RX \d+: out \{"id":\d+,"method":"initialize"/m);
    expect(log).toMatch(/^CODEX-RX \d+: in \{"id":\d+,"result"/m);
    expect(log).toMatch(/^CODEX-RX \d+: out .*"api_key":"\*\*\*"/m);
    expect(log).toMatch(/^CODEX-RX \d+: closed \{"code":"closed"/m);
    expect(log).not.toContain('sk-verysecretvalue1234');
  });
});
