/**
 * Version constants agree with the package manifests, and the request map types the pinned server's
 * methods. The type-level half is checked by `tsc` (npm test's typecheck step), not at run time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodexClient } from '../src/client';
import type { ThreadStartResponse } from '../src/protocol/generated/v2/ThreadStartResponse';
import type { ModelListResponse } from '../src/protocol/generated/v2/ModelListResponse';
import { PROTOCOL_SERVER_VERSION } from '../src/protocol/methods';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/version';
import * as index from '../src/index';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; version: string };

describe('version constants', () => {
  const pkg = readJson(path.join(__dirname, '..', 'package.json'));

  it('PACKAGE_NAME and PACKAGE_VERSION are those of package.json', () => {
    expect(PACKAGE_NAME).toBe(pkg.name);
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });

  it('PROTOCOL_SERVER_VERSION is the installed @openai/codex version', () => {
    const codex = readJson(require.resolve('@openai/codex/package.json'));
    expect(codex.name).toBe('@openai/codex');
    expect(PROTOCOL_SERVER_VERSION).toBe(codex.version);
  });

  it('the package entry point re-exports PROTOCOL_SERVER_VERSION', () => {
    expect(index.PROTOCOL_SERVER_VERSION).toBe(PROTOCOL_SERVER_VERSION);
  });
});

// ---- compile-time checks (never run) ---------------------------------------------------------

/** true only when A and B are the same type (not merely assignable). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Referenced so that `noUnusedLocals`-style settings never drop it; it is never called.
export async function requestTypesCompile(c: CodexClient): Promise<void> {
  const started = c.request('thread/start', { cwd: '/tmp', ephemeral: true });
  const startedIsExact: Equals<Awaited<typeof started>, ThreadStartResponse> = true;
  const r: ThreadStartResponse = await started;
  const threadId: string = r.thread.id;

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only its type is checked
  const models = c.request('model/list', { limit: 1 });
  const modelsIsExact: Equals<Awaited<typeof models>, ModelListResponse> = true;

  // A method newer than the pinned types is allowed and typed `unknown`.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only its type is checked
  const unknownMethod = c.request('some/future/method', { anything: 1 });
  const unknownIsUnknown: Equals<Awaited<typeof unknownMethod>, unknown> = true;

  // @ts-expect-error cwd is a string
  await c.request('thread/start', { cwd: 42 });
  // @ts-expect-error thread/start has no such param
  await c.request('thread/start', { notAParam: true });
  // @ts-expect-error the result of thread/start is not the result of model/list
  const wrong: ModelListResponse = await c.request('thread/start', {});

  void [startedIsExact, threadId, modelsIsExact, unknownIsUnknown, wrong];
}
