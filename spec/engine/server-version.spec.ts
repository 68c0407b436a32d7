/**
 * The server's version and the protocol it may lack: `InitializeResult.serverVersion` parsed from
 * `userAgent`, one `version-mismatch` diagnostic for a server other than the pinned one, and a
 * clear error for a method the server does not have (a stand-in server that reports 0.169.0).
 */
import { firstValueFrom, toArray, takeUntil, Subject } from 'rxjs';
import { CodexProtocolError } from '../../src/errors';
import type { Diagnostic } from '../../src/models';
import { PROTOCOL_SERVER_VERSION } from '../../src/protocol/methods';
import { parseServerVersion } from '../../src/protocol/server-version';
import { FakeRpcError } from '../../src/testing';
import { fakeApp } from '../support/client-fixture';
import { caught } from '../support/fake-app';

describe('parseServerVersion', () => {
  it.each([
    ['codex-rx/0.171.0 (Debian 12.0.0; x86_64) xterm (codex-rx; 0.1.0)', '0.171.0'],
    ['my app/0.172.0-alpha.3 (Mac OS 15.1.0; arm64) iTerm.app (my app; 2.0.0)', '0.172.0-alpha.3'],
    ['codex-rx/1.0.0', '1.0.0'],
    ['codex-rx/0.171 (Linux; x86_64)', null],
    ['fake-server', null],
    ['(odd)/1.2.3', null],
    ['', null],
  ])('%j → %j', (userAgent, version) => {
    expect(parseServerVersion(userAgent)).toBe(version);
  });

  it('is null for a missing or non-string userAgent', () => {
    expect(parseServerVersion(undefined)).toBeNull();
    expect(parseServerVersion(42)).toBeNull();
  });
});

describe('a server older than the pinned protocol', () => {
  const older = '0.169.0';

  it('initialize() reports its version, and one version-mismatch diagnostic names both versions', async () => {
    const { client } = fakeApp({ serverVersion: older });
    const done = new Subject<void>();
    const diagnostics = firstValueFrom(client.diagnostics$.pipe(takeUntil(done), toArray()));
    const init = await client.initialize();
    expect(init.serverVersion).toBe(older);
    expect(init.protocolVersion).toBeNull();
    // Later calls are cached: no second handshake, no second diagnostic.
    expect(await client.initialize()).toBe(init);
    await client.listThreads();
    done.next();
    const mismatches = (await diagnostics).filter((d: Diagnostic) => d.kind === 'version-mismatch');
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]!.message).toContain(`codex app-server ${older}`);
    expect(mismatches[0]!.message).toContain(PROTOCOL_SERVER_VERSION);
    expect(mismatches[0]!.message).toMatch(/may differ/);
    expect(mismatches[0]!.detail).toEqual({ serverVersion: older, protocolVersion: PROTOCOL_SERVER_VERSION });
  });

  it('a method it lacks fails with a CodexProtocolError that says so (request, request$ and the typed wrappers)', async () => {
    const { server, client } = fakeApp({ serverVersion: older });
    // 0.169.0 has no modelProvider/default/set: the fake answers -32600 "unknown variant" like the real one.
    const viaRequest = await caught(client.request('modelProvider/default/set', { providerId: 'mock' }));
    expect(viaRequest).toBeInstanceOf(CodexProtocolError);
    expect(viaRequest.code).toBe(-32600);
    expect(viaRequest.message).toBe(
      `modelProvider/default/set: codex app-server ${older} has no method 'modelProvider/default/set' ` +
        `(Invalid request: unknown variant \`modelProvider/default/set\`); codex-rx's protocol types are those of ${PROTOCOL_SERVER_VERSION}`,
    );
    expect(viaRequest.cause).toBeInstanceOf(CodexProtocolError);

    const viaObservable = await caught(firstValueFrom(client.request$('modelProvider/default/set', { providerId: 'mock' })));
    expect(viaObservable).toMatchObject({ name: 'CodexProtocolError', code: -32600 });
    expect(viaObservable.message).toContain(`codex app-server ${older} has no method 'modelProvider/default/set'`);

    // A typed wrapper: rollbackThread pages turns with thread/turns/list.
    server.handle('thread/turns/list', () => {
      throw new FakeRpcError(-32600, 'Invalid request: unknown variant `thread/turns/list`, expected one of `initialize`, `thread/start`');
    });
    const thread = await client.startThread();
    const viaWrapper = await caught(client.rollbackThread(thread.threadId, { numTurns: 1 }));
    expect(viaWrapper).toMatchObject({ name: 'CodexProtocolError', code: -32600 });
    expect(viaWrapper.message).toContain(`codex app-server ${older} has no method 'thread/turns/list'`);
  });

  it('other -32600 errors are passed on as they came', async () => {
    const { server, client } = fakeApp({ serverVersion: older });
    server.handle('thread/name/set', () => {
      throw new FakeRpcError(-32600, 'thread not found: t-9');
    });
    const err = await caught(client.setThreadName('t-9', 'x'));
    expect(err).toMatchObject({
      name: 'CodexProtocolError',
      code: -32600,
      message: 'thread/name/set: thread not found: t-9 (code -32600)',
    });
  });
});

describe('the pinned server, and one whose userAgent holds no version', () => {
  it('the pinned version: serverVersion is PROTOCOL_SERVER_VERSION and no diagnostic', async () => {
    const { client } = fakeApp();
    const seen: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => seen.push(d));
    expect((await client.initialize()).serverVersion).toBe(PROTOCOL_SERVER_VERSION);
    expect(seen.filter((d) => d.kind === 'version-mismatch')).toEqual([]);
  });

  it('an unparsable userAgent: serverVersion null, no diagnostic, and errors name no version', async () => {
    // A development build: `codex-rx/dev (Linux 6.8.0; x86_64) ...`, no version number.
    const { client } = fakeApp({ serverVersion: 'dev' });
    const seen: Diagnostic[] = [];
    client.diagnostics$.subscribe((d) => seen.push(d));
    expect((await client.initialize()).serverVersion).toBeNull();
    expect(seen.filter((d) => d.kind === 'version-mismatch')).toEqual([]);
    const err = await caught(client.request('vendor/frobnicate'));
    expect(err.message).toContain("this codex app-server (version unknown) has no method 'vendor/frobnicate'");
  });
});
