import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('README.md', () => {
  it('shows the approval handler that spec/e2e/protocol.e2e.spec.ts runs against the real server, line for line', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Approvals'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    expect(block).toContain('commandActions');
    const spec = lines(fs.readFileSync(path.join(root, 'spec/e2e/protocol.e2e.spec.ts'), 'utf8')).join('\n');
    expect(spec).toContain(lines(block).join('\n'));
  });
});
