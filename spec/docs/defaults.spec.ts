/**
 * Every default an option's doc comment states ("Default 30,000 ms", "Default 16 MiB", "Default
 * `/codex`") is the value in `DEFAULTS`, which the code reads: a default changed in one place and
 * not the other fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { DEFAULTS } from '../../src/defaults';

const src = path.resolve(__dirname, '../../src');

/** Which `DEFAULTS` section an option interface's fields are in (top level for the others). */
const SECTIONS: Record<string, Record<string, unknown>> = {
  RelayOptions: DEFAULTS.relay,
  ReconnectOptions: DEFAULTS.reconnect,
  RestartOptions: DEFAULTS.restart,
  RetryPolicy: DEFAULTS.retry,
};

/** Option fields whose name differs from their `DEFAULTS` key. */
const RENAMED: Record<string, string> = {
  'RelayOptions.maxPayloadBytes': 'maxFrameBytes',
  'EachValueConfig.bufferSize': 'iterationBufferSize',
  'EachValueConfig.bufferBytes': 'iterationBufferBytes',
};

interface Stated {
  readonly where: string;
  readonly key: string;
  readonly said: string;
  readonly value: unknown;
}

/** `30,000 ms` → 30000; `16 MiB` → 16777216; `` `/codex` `` → '/codex'; `false` → false; else undefined. */
function parse(said: string): unknown {
  const quoted = /^`([^`]+)`/.exec(said);
  if (quoted) return quoted[1];
  if (/^(true|false)\b/.test(said)) return said.startsWith('true');
  const m = /^([\d,_.]+)\s*(ms|MiB|KiB|s)?\b/.exec(said);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/[,_]/g, ''));
  return m[2] === 'MiB' ? n * 1024 * 1024 : m[2] === 'KiB' ? n * 1024 : m[2] === 's' ? n * 1000 : n;
}

function statedDefaults(): Stated[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'generated') walk(f);
      } else if (f.endsWith('.ts')) files.push(f);
    }
  };
  walk(src);
  const out: Stated[] = [];
  for (const file of files) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node)) {
        const section = SECTIONS[node.name.text] ?? (DEFAULTS as Record<string, unknown>);
        for (const member of node.members) {
          if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
          const doc = ts
            .getJSDocCommentsAndTags(member)
            .map((d) => (typeof d.comment === 'string' ? d.comment : ''))
            .join(' ')
            .replace(/\s+/g, ' ');
          const said = /\bDefault:? (.+?)(?:[.;]\s|[.;]?$)/.exec(doc)?.[1];
          if (!said) continue;
          const field = `${node.name.text}.${member.name.text}`;
          const key = RENAMED[field] ?? member.name.text;
          if (!(key in section)) continue;
          out.push({ where: `${path.relative(src, file)} ${field}`, key, said, value: parse(said) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

describe('documented defaults', () => {
  const stated = statedDefaults();

  it('finds the option docs that state a default of DEFAULTS', () => {
    // requestTimeoutMs, inactivityTimeoutMs, the relay's, the reconnect and retry policies, ...
    expect(stated.length).toBeGreaterThan(25);
    expect(stated.map((s) => s.key)).toEqual(expect.arrayContaining(['requestTimeoutMs', 'maxEarlyBytes', 'initialDelayMs', 'maxRetries']));
  });

  it('states each one as DEFAULTS has it', () => {
    const wrong = stated
      .filter((s) => {
        const actual = (SECTIONS[s.where.split(' ')[1]!.split('.')[0]!] ?? (DEFAULTS as Record<string, unknown>))[s.key];
        // A doc that says what the default does rather than a value ("Default: no limit") is not checked.
        return s.value !== undefined && typeof actual !== 'object' && s.value !== actual;
      })
      .map((s) => `${s.where}: the doc says ${s.said}`);
    expect(wrong).toEqual([]);
  });
});
