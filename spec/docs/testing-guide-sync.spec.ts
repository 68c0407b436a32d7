import * as fs from 'node:fs';
import * as path from 'node:path';

describe('docs/testing.md', () => {
  it('shows spec/docs/testing-guide.spec.ts verbatim, so the guide is the test that CI runs', () => {
    const root = path.resolve(__dirname, '../..');
    const doc = fs.readFileSync(path.join(root, 'docs/testing.md'), 'utf8');
    const spec = fs.readFileSync(path.join(root, 'spec/docs/testing-guide.spec.ts'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(spec);
  });

  it('shows spec/docs/replay-guide.spec.ts verbatim', () => {
    const root = path.resolve(__dirname, '../..');
    const doc = fs.readFileSync(path.join(root, 'docs/testing.md'), 'utf8');
    const spec = fs.readFileSync(path.join(root, 'spec/docs/replay-guide.spec.ts'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(spec);
  });
});
