/** docs/relay-policy.md lists the default policy's decision for every method: the same table as RELAY_METHOD_RULES. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RELAY_METHOD_RULES } from '../../src/relay/method-rules';

it('docs/relay-policy.md has one row per method of RELAY_METHOD_RULES, saying what it says', () => {
  const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/relay-policy.md'), 'utf8');
  // (prettier pads the cells)
  const rows = new Map([...doc.matchAll(/^\| `([^`]+)` +\| (.+?) *\|$/gm)].map((m) => [m[1]!, m[2]!]));
  expect([...rows.keys()].sort()).toEqual(Object.keys(RELAY_METHOD_RULES).sort());
  for (const [method, rule] of Object.entries(RELAY_METHOD_RULES)) {
    const said = rows.get(method)!;
    if (rule === 'deny') expect([method, said]).toEqual([method, 'refused']);
    else if (rule === 'allow') expect([method, said]).toEqual([method, 'allowed']);
    else if (typeof rule === 'object') for (const field of rule.paths) expect(said).toContain(`\`${field}\``);
    else expect(said).toMatch(/^allowed; /);
  }
});
