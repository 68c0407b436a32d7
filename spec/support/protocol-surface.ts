/** The method names of a generated protocol (a `generated/` directory), and what changed between two. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Client requests, server notifications and server requests, by method name. */
export interface ProtocolSurface {
  readonly version: string;
  readonly requests: readonly string[];
  readonly notifications: readonly string[];
  readonly serverRequests: readonly string[];
}

const methodsIn = (file: string): string[] =>
  fs.existsSync(file) ? [...new Set([...fs.readFileSync(file, 'utf8').matchAll(/"method": "([^"]+)"/g)].map((m) => m[1]!))].sort() : [];

/** The surface of `protocolDir` (holding `generated/` and `method-map.generated.ts`). */
export function protocolSurface(protocolDir: string): ProtocolSurface {
  const map = path.join(protocolDir, 'method-map.generated.ts');
  const version = fs.existsSync(map) ? (/PROTOCOL_SERVER_VERSION = "([^"]+)"/.exec(fs.readFileSync(map, 'utf8'))?.[1] ?? '?') : '?';
  const gen = path.join(protocolDir, 'generated');
  return {
    version,
    requests: methodsIn(path.join(gen, 'ClientRequest.ts')),
    notifications: methodsIn(path.join(gen, 'ServerNotification.ts')),
    serverRequests: methodsIn(path.join(gen, 'ServerRequest.ts')),
  };
}

/** A readable report: both versions, then each kind's added and removed methods. */
export function surfaceReport(committed: ProtocolSurface, fresh: ProtocolSurface): string {
  const lines = [`protocol types: committed ${committed.version}, generated now by ${fresh.version}`];
  const kinds = [
    ['client requests', 'requests'],
    ['notifications', 'notifications'],
    ['server requests', 'serverRequests'],
  ] as const;
  for (const [label, key] of kinds) {
    const before = new Set(committed[key]);
    const after = new Set(fresh[key]);
    const added = [...after].filter((m) => !before.has(m));
    const removed = [...before].filter((m) => !after.has(m));
    lines.push(`  ${label}: ${added.length || removed.length ? '' : 'unchanged'}`.trimEnd());
    if (added.length) lines.push(`    added:   ${added.join(', ')}`);
    if (removed.length) lines.push(`    removed: ${removed.join(', ')}`);
  }
  return lines.join('\n');
}
