/**
 * The browser bundle of a minimal app (scripts/bundle-check.js), built with esbuild against the
 * package as published: one rxjs, codex-rx's Observables are the app's, no Node-only code, and a
 * size that cannot regress past the limit. Checked with esbuild's own browser resolution and with
 * the conditions Angular's application builder uses.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkBundles, LIMIT_BYTES, ANGULAR_LIMIT_BYTES } = require('../../scripts/bundle-check.js') as {
  checkBundles(): Promise<BundleResult[] & { angular: AngularAddition }>;
  LIMIT_BYTES: number;
  ANGULAR_LIMIT_BYTES: number;
};

interface AngularAddition {
  baseBytes: number;
  withBytes: number;
  addedBytes: number;
  nodeOnlyInputs: string[];
  rxjsBuilds: string[];
}

interface BundleResult {
  flavour: string;
  bytes: number;
  rxjsBuilds: string[];
  codexRxBuilds: string[];
  nodeOnlyInputs: string[];
  bytesByPackage: Record<string, number>;
  facts: { sameObservable: boolean; errorsShareBase: boolean; stdio: string; finalText: string };
}

let results: BundleResult[] & { angular: AngularAddition };

beforeAll(async () => {
  results = await checkBundles();
}, 300_000);

describe.each(['esbuild', 'angular'])('the minimal browser app bundled (%s resolution)', (flavour) => {
  const result = () => results.find((r) => r.flavour === flavour)!;

  it('holds one rxjs and the ESM build of codex-rx, nothing else of either', () => {
    expect(result().rxjsBuilds).toHaveLength(1);
    expect(result().codexRxBuilds).toEqual(['esm']);
  });

  it("gives Observables of the app's own rxjs", () => {
    expect(result().facts.sameObservable).toBe(true);
    expect(result().facts.errorsShareBase).toBe(true);
  });

  it('holds no Node-only code: connectStdio names the browser way instead', () => {
    expect(result().nodeOnlyInputs).toEqual([]);
    expect(Object.keys(result().bytesByPackage)).not.toEqual(expect.arrayContaining(['ws']));
    expect(result().facts.stdio).toMatch(/^TypeError: CodexClient\.connectStdio\(\) needs Node\.js.*RelayTransport/);
  });

  it('runs a turn over its custom transport', () => {
    expect(result().facts.finalText).toBe('bundled');
  });

  it(`stays within ${LIMIT_BYTES / 1024} KB minified`, () => {
    expect(result().bytes).toBeLessThanOrEqual(LIMIT_BYTES);
  });
});

describe('codex-rx/angular in an Angular app', () => {
  it(`adds at most ${ANGULAR_LIMIT_BYTES / 1024} KB minified, and nothing Node-only`, () => {
    const a = results.angular;
    expect(a.addedBytes).toBeGreaterThan(0);
    expect(a.addedBytes).toBeLessThanOrEqual(ANGULAR_LIMIT_BYTES);
    expect(a.nodeOnlyInputs).toEqual([]);
    expect(a.rxjsBuilds).toHaveLength(1);
  });
});
