import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, filter, toArray, take, lastValueFrom } from 'rxjs';
import { CodexTransportError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { JsonRpcConnection } from '../../src/streams/connection';
import { defaultStdioCommand, splitCommandLine, StdioTransport } from '../../src/streams/stdio';
import { isAlive } from '../support/process-helpers';

const ECHO = path.join(__dirname, '..', 'support', 'echo-server.js');
const STUBBORN = path.join(__dirname, '..', 'support', 'stubborn-server.js');
const NODE = process.execPath;

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

describe('splitCommandLine', () => {
  it.each<[string, string[]]>([
    ['codex app-server', ['codex', 'app-server']],
    ['  codex \t app-server  ', ['codex', 'app-server']],
    ['"/opt/my tools/codex" app-server', ['/opt/my tools/codex', 'app-server']],
    ["node '/tmp/a b/server.js' --flag='x y'", ['node', '/tmp/a b/server.js', '--flag=x y']],
    ['a\\ b c', ['a b', 'c']],
    ['"say \\"hi\\" \\\\ \\$HOME"', ['say "hi" \\ $HOME']],
    ['"a\\nb"', ['a\\nb']], // in double quotes a backslash before other characters stays
    ["'a\\b'", ['a\\b']], // single quotes keep everything literally
    ["'' x", ['', 'x']], // empty quotes are an (empty) argument
    ['ab"cd"\'ef\'', ['abcdef']], // adjacent quoted parts join one word
    ['', []],
  ])('%j', (line, expected) => {
    expect(splitCommandLine(line)).toEqual(expected);
  });

  it('keeps Windows backslashes on win32 (quoted or not), and escapes with them elsewhere', () => {
    expect(splitCommandLine('C:\\tools\\codex.exe app-server', 'win32')).toEqual(['C:\\tools\\codex.exe', 'app-server']);
    expect(splitCommandLine('"C:\\Program Files\\codex\\" app-server', 'win32')).toEqual(['C:\\Program Files\\codex\\', 'app-server']);
    expect(splitCommandLine('C:\\tools\\codex.exe app-server', 'linux')).toEqual(['C:toolscodex.exe', 'app-server']);
  });

  it('runs no shell: operators and comments are a TypeError, globs and $NAME stay as written', () => {
    expect(() => splitCommandLine('codex app-server | tee log')).toThrow(/shell operator '\|'/);
    expect(() => splitCommandLine('codex app-server > log')).toThrow(TypeError);
    expect(() => splitCommandLine('codex app-server # note')).toThrow(/comment/);
    expect(splitCommandLine('node *.js $HOME')).toEqual(['node', '*.js', '$HOME']);
  });

  it('rejects an unterminated quote with a TypeError', () => {
    expect(() => splitCommandLine('codex "app-server')).toThrow(TypeError);
    expect(() => splitCommandLine("codex 'app-server")).toThrow(/unterminated/);
  });
});

describe('defaultStdioCommand', () => {
  it('splits CODEX_APP_SERVER_CMD like a shell', () => {
    expect(defaultStdioCommand({ CODEX_APP_SERVER_CMD: 'node "/srv/my server.js" --listen stdio://' })).toEqual([
      'node',
      '/srv/my server.js',
      '--listen',
      'stdio://',
    ]);
  });

  it('without the variable (unset or blank), runs the codex it finds (spec/streams/codex-binary.spec.ts), else codex app-server', () => {
    const nowhere = { CODEX_RX_CODEX_PREFIX: os.tmpdir(), PATH: '' };
    expect(defaultStdioCommand(nowhere)).toEqual(['codex', 'app-server']);
    expect(defaultStdioCommand({ ...nowhere, CODEX_APP_SERVER_CMD: '   ' })).toEqual(['codex', 'app-server']);
  });
});

describe('StdioTransport', () => {
  const transports: StdioTransport[] = [];
  const make = (options: ConstructorParameters<typeof StdioTransport>[0]) => {
    const t = new StdioTransport(options);
    transports.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('round-trips a request through a child process', async () => {
    const transport = make({ command: [NODE, ECHO] });
    const conn = new JsonRpcConnection(transport);
    await conn.start();
    await expect(conn.request('ping', { a: 1, s: 'é€🎉' })).resolves.toEqual({
      echo: { a: 1, s: 'é€🎉' },
      method: 'ping',
    });
    // several in flight at once
    const results = await Promise.all([1, 2, 3].map((n) => conn.request(`m${n}`, { n })));
    expect(results.map((r) => (r as { method: string }).method)).toEqual(['m1', 'm2', 'm3']);
    await conn.close();
    expect(transport.pid === undefined || !isAlive(transport.pid)).toBe(true);
  });

  it('delivers server notifications on messages$', async () => {
    const transport = make({ command: [NODE, ECHO] });
    await transport.start();
    const hello = firstValueFrom(transport.messages$.pipe(filter((m) => (m as { method?: string }).method === 'hello')));
    transport.send(JSON.stringify({ method: 'notify-me' }));
    await expect(hello).resolves.toMatchObject({ method: 'hello', params: { n: 1 } });
  });

  it('emits stderr lines on diagnostics$', async () => {
    const transport = make({ command: [NODE, ECHO] });
    const lines = lastValueFrom(
      transport.diagnostics$.pipe(
        filter((d) => d.kind === 'stderr'),
        take(2),
        toArray(),
      ),
    );
    await transport.start();
    transport.send(JSON.stringify({ id: 1, method: 'abc' }));
    expect(await lines).toEqual<Diagnostic[]>([
      { kind: 'stderr', message: 'echo-server ready' },
      { kind: 'stderr', message: 'got abc' },
    ]);
  });

  it('completes messages$ on close() and then refuses to send', async () => {
    const transport = make({ command: [NODE, ECHO] });
    await transport.start();
    let completed = false;
    let errored: unknown;
    transport.messages$.subscribe({ complete: () => (completed = true), error: (e) => (errored = e) });
    await transport.close();
    expect(completed).toBe(true);
    expect(errored).toBeUndefined();
    expect(() => transport.send('{}')).toThrow(CodexTransportError);
    await expect(transport.close()).resolves.toBeUndefined();
  });

  it('send() before start() throws CodexTransportError', () => {
    const transport = make({ command: [NODE, ECHO] });
    expect(() => transport.send('{}')).toThrow(CodexTransportError);
  });

  it('rejects start() with CodexTransportError naming a command that does not exist', async () => {
    const transport = make({ command: ['/nonexistent/dir/codex-missing', 'app-server'] });
    const { error } = await settle(transport.start());
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as Error).message).toContain('/nonexistent/dir/codex-missing');
    expect((error as Error).message).toMatch(/ENOENT/);
  });

  it('rejects start() when the process exits at once with code 3, naming the command and the code', async () => {
    const transport = make({ command: ['/bin/sh', '-c', 'exit 3'] });
    const { error } = await settle(transport.start());
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as CodexTransportError).exitCode).toBe(3);
    expect((error as Error).message).toContain('/bin/sh -c exit 3');
    expect((error as Error).message).toContain('exit code 3');
  });

  it('with a startup grace long enough for node, an instant node exit rejects start() too', async () => {
    const transport = make({ command: [NODE, '-e', 'process.exit(3)'], startupGraceMs: 5_000 });
    const started = Date.now();
    const { error } = await settle(transport.start());
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as CodexTransportError).exitCode).toBe(3);
    expect((error as Error).message).toContain(NODE);
    expect(Date.now() - started).toBeLessThan(4_000); // rejected at the exit, not after the grace
  });

  it('SIGKILLs a server that ignores EOF and SIGTERM after killGraceMs; close() resolves with it gone', async () => {
    const transport = make({ command: [NODE, STUBBORN], killGraceMs: 600 });
    const diagnostics: Diagnostic[] = [];
    transport.diagnostics$.subscribe((d) => diagnostics.push(d));
    const ready = firstValueFrom(transport.diagnostics$.pipe(filter((d) => d.message === 'stubborn ready')));
    await transport.start();
    await ready; // its SIGTERM trap is installed
    const pid = transport.pid!;
    expect(isAlive(pid)).toBe(true);
    const t0 = Date.now();
    await transport.close();
    const elapsed = Date.now() - t0;
    expect(() => process.kill(pid, 0)).toThrow();
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(5_000);
    expect(diagnostics.map((d) => d.message)).toContain('ignoring SIGTERM');
  });

  it('a crash mid-request rejects the pending request with CodexTransportError exitCode 3', async () => {
    const transport = make({ command: [NODE, ECHO] });
    const conn = new JsonRpcConnection(transport);
    let framesError: unknown;
    conn.frames$.subscribe({ error: (e) => (framesError = e) });
    await conn.start();
    await expect(conn.request('ping')).resolves.toMatchObject({ method: 'ping' });
    const { error } = await settle(conn.request('crash', {}));
    expect(error).toBeInstanceOf(CodexTransportError);
    expect((error as CodexTransportError).exitCode).toBe(3);
    expect((error as Error).message).toContain('crash');
    expect((error as Error).message).toContain('exit code 3');
    expect(framesError).toBeInstanceOf(CodexTransportError);
    expect(conn.isClosed).toBe(true);
  });
});
