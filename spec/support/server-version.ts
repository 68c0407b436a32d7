/**
 * Version-specific end-to-end specs: `npm run test:latest -- 0.169.0` runs the e2e specs against
 * another server than the pinned one, and a method that server lacks must skip its spec, not fail it.
 * The version is read at load time from the `@openai/codex` the offline harness will run.
 */
import { resolveCodexLaunch } from '../../src/testing/codex-home';

/** The version of the server the end-to-end specs run (`CODEX_RX_CODEX_PREFIX` or the pinned one). */
export const e2eServerVersion: string = resolveCodexLaunch().version;

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` (`x.y.z`, pre-release tags ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0]!.split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  return 0;
}

/** `it` when the server is at least `version`, else `it.skip` (the spec's name says why). */
export function itSince(version: string): jest.It {
  return compareVersions(e2eServerVersion, version) >= 0 ? it : it.skip;
}
