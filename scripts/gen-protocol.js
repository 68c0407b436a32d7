#!/usr/bin/env node
// Regenerates src/protocol/generated/ from the pinned server's own `generate-ts` output and
// derives the typed method map (src/protocol/method-map.generated.ts) from its ClientRequest union.
// `--check DIR` writes into DIR instead, for the drift check. CODEX_RX_CODEX_PREFIX generates from
// another installed server (a directory whose node_modules holds @openai/codex).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const checkIdx = process.argv.indexOf('--check');
const outRoot = checkIdx > 0 ? path.resolve(process.argv[checkIdx + 1]) : path.join(root, 'src/protocol');
const genDir = path.join(outRoot, 'generated');
// The experimental API's types, for the parts of it codex-rx uses: see EXPERIMENTAL_* below.
const expDir = path.join(outRoot, 'generated-experimental');

// Experimental methods (`generate-ts --experimental` only) that get a row in the method map,
// marked `experimental: true`; their types (and what those import) are copied into
// generated-experimental/. Another experimental method: add it here and regenerate.
const EXPERIMENTAL_METHODS = ['environment/add', 'environment/status', 'environment/info', 'thread/settings/update'];
// Experimental fields of stable methods' params: the row's params become the stable type and these fields of the experimental one.
const EXPERIMENTAL_FIELDS = { 'thread/start': ['environments'], 'turn/start': ['environments'] };
// Further experimental types codex-rx names (notifications), copied with what they import.
const EXPERIMENTAL_TYPES = ['v2/TurnEnvironmentParams', 'v2/EnvironmentConnectionNotification', 'v2/EnvironmentStatusKind'];

// Result types whose names do not follow `<X>Params` -> `<X>Response`.
const RESULT_OVERRIDES = {
  'config/value/write': 'v2/ConfigWriteResponse',
  'config/batchWrite': 'v2/ConfigWriteResponse',
  'configRequirements/read': 'v2/ConfigRequirementsReadResponse',
  'account/logout': 'v2/LogoutAccountResponse',
  'account/gatewayOAuth/cancel': 'v2/GatewayOAuthCancelResponse',
  'config/mcpServer/reload': 'v2/McpServerRefreshResponse',
  'windowsSandbox/readiness': 'v2/WindowsSandboxReadinessResponse',
  'account/securitySetup/read': 'v2/GetAccountSecuritySetupResponse',
  'account/workspaceMessages/read': 'v2/GetWorkspaceMessagesResponse',
  'externalAgentConfig/import/readHistories': 'v2/ExternalAgentConfigImportHistoriesReadResponse',
  // 0.171.0 generates no response type for it; on the wire it answers the ConfigWriteResponse shape.
  'modelProvider/default/set': 'v2/ConfigWriteResponse',
};

/** The `@openai/codex` wrapper: this package's own, or the one under CODEX_RX_CODEX_PREFIX (see npm run test:latest). */
function codexBin() {
  const pkg = require.resolve('@openai/codex/package.json', { paths: [process.env.CODEX_RX_CODEX_PREFIX || root] });
  return path.join(path.dirname(pkg), 'bin', 'codex.js');
}

fs.rmSync(genDir, { recursive: true, force: true });
fs.mkdirSync(genDir, { recursive: true });
execFileSync(process.execPath, [codexBin(), 'app-server', 'generate-ts', '--out', genDir], { stdio: 'inherit' });
const version = execFileSync(process.execPath, [codexBin(), '--version'], { encoding: 'utf8' }).trim();

const exists = (rel, dir = genDir) => fs.existsSync(path.join(dir, rel + '.ts'));
const importsOf = (text) => {
  const map = new Map();
  for (const m of text.matchAll(/import type \{ (\w+) \} from "\.\/([\w/]+)";/g)) map.set(m[1], m[2]);
  return map;
};
const src = fs.readFileSync(path.join(genDir, 'ClientRequest.ts'), 'utf8');
const importOf = importsOf(src);

/** The method rows of a generated ClientRequest.ts: method, params type and its path, result type. */
function parseRows(src, importOf, dir) {
  const rows = [];
  for (const m of src.matchAll(/\{ "method": "([^"]+)", id: RequestId, (params\??): ([^,]+?)(?: \| undefined)?, \}/g)) {
    const [, method, paramsKey, rawParams] = m;
    const nullable = rawParams.endsWith(' | null');
    const paramsType = rawParams.replace(/ \| null$/, '');
    const optional = paramsKey.endsWith('?') || paramsType === 'undefined' || nullable;
    let result = RESULT_OVERRIDES[method];
    if (!result && paramsType !== 'undefined') {
      const rel = importOf.get(paramsType);
      const candidate = rel && rel.replace(/Params$/, 'Response');
      if (candidate && exists(candidate, dir)) result = candidate;
    }
    if (result && !exists(result, dir)) throw new Error(`result type ${result} of ${method} not generated`);
    rows.push({ method, paramsType, paramsPath: importOf.get(paramsType), optional, nullable, result });
  }
  return rows;
}
const rows = parseRows(src, importOf, genDir);
// The experimental API: generated whole into a temp directory, then only what EXPERIMENTAL_* needs
// (with everything it imports) is kept in generated-experimental/.
const expTmp = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'codex-rx-gen-exp-'));
let expRows;
try {
  execFileSync(process.execPath, [codexBin(), 'app-server', 'generate-ts', '--experimental', '--out', expTmp], { stdio: 'inherit' });
  const expSrc = fs.readFileSync(path.join(expTmp, 'ClientRequest.ts'), 'utf8');
  expRows = parseRows(expSrc, importsOf(expSrc), expTmp).filter((r) => EXPERIMENTAL_METHODS.includes(r.method));
  const missing = EXPERIMENTAL_METHODS.filter((m) => !expRows.some((r) => r.method === m) || rows.some((r) => r.method === m));
  if (missing.length) throw new Error(`experimental methods missing or no longer experimental: ${missing.join(', ')}`);
  const roots = [...EXPERIMENTAL_TYPES, ...expRows.flatMap((r) => [r.paramsPath, r.result].filter(Boolean))];
  for (const method of Object.keys(EXPERIMENTAL_FIELDS)) roots.push(rows.find((r) => r.method === method).paramsPath);
  fs.rmSync(expDir, { recursive: true, force: true });
  const copied = new Set();
  const copy = (rel) => {
    if (copied.has(rel)) return;
    copied.add(rel);
    const text = fs.readFileSync(path.join(expTmp, rel + '.ts'), 'utf8');
    fs.mkdirSync(path.dirname(path.join(expDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(expDir, rel + '.ts'), text);
    for (const m of text.matchAll(/from "(\.{1,2}\/[\w/.]+)";/g))
      copy(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1])));
  };
  roots.forEach(copy);
} finally {
  fs.rmSync(expTmp, { recursive: true, force: true });
}

if (rows.length < 50) throw new Error(`only ${rows.length} client request methods parsed: generator output changed?`);

const imports = new Map();
const alias = (rel) => {
  const name = 'T_' + rel.replace(/\W/g, '_');
  imports.set(name, rel);
  return name;
};
const expAlias = (rel) => {
  const name = 'X_' + rel.replace(/\W/g, '_');
  imports.set(name, '../generated-experimental/' + rel);
  return name;
};
const row = (r, ref, experimental) => {
  let p = r.paramsType === 'undefined' ? 'undefined' : ref(r.paramsPath) + (r.nullable ? ' | null' : '');
  const fields = EXPERIMENTAL_FIELDS[r.method];
  if (fields) p += ` & Pick<${expAlias(r.paramsPath)}, ${fields.map((f) => JSON.stringify(f)).join(' | ')}>`;
  const res = r.result ? ref(r.result) : 'unknown';
  const mark = experimental ? '; experimental: true' : '';
  return `  ${JSON.stringify(r.method)}: { params: ${p}; result: ${res}; paramsOptional: ${r.optional}${mark} };`;
};
const lines = [...rows.map((r) => row(r, alias, false)), ...expRows.map((r) => row(r, expAlias, true))];
const out = `// GENERATED by scripts/gen-protocol.js from \`codex app-server generate-ts\` (${version}). Do not edit.
${[...imports].map(([n, rel]) => `import type { ${rel.split('/').pop()} as ${n} } from '${rel.startsWith('../') ? rel.slice(1) : './generated/' + rel}';`).join('\n')}

/** The server version these types were generated from. */
export const PROTOCOL_SERVER_VERSION = ${JSON.stringify(version.replace(/^codex-cli /, ''))};

/**
 * Every client-to-server request method of the pinned server, with its params and result types.
 * Rows marked \`experimental: true\` (and the \`environments\` field of thread/start and turn/start)
 * are the experimental API (\`generate-ts --experimental\`): the server takes them only from a client
 * that set \`ClientOptions.experimentalApi\`.
 */
export interface ClientRequestMap {
${lines.join('\n')}
}
`;
fs.writeFileSync(path.join(outRoot, 'method-map.generated.ts'), out);

// The entry point `codex-rx/protocol` re-exports every generated type. A name both the root and
// the v2 index export is ambiguous under two `export *`: the v2 (current protocol) one is named
// explicitly, which takes precedence.
const exportedNames = (rel) => [...fs.readFileSync(path.join(genDir, rel), 'utf8').matchAll(/export type \{ (\w+) \}/g)].map((m) => m[1]);
const v2Names = new Set(exportedNames('v2/index.ts'));
const both = exportedNames('index.ts')
  .filter((n) => v2Names.has(n))
  .sort();
const expExports = [...new Set([...EXPERIMENTAL_TYPES, ...expRows.flatMap((r) => [r.paramsPath, r.result])])].sort();
const typesOut = `// GENERATED by scripts/gen-protocol.js from \`codex app-server generate-ts\` (${version}). Do not edit.
// Every type of the pinned protocol, for the \`codex-rx/protocol\` entry point.
export type * from './generated/index';
export type * from './generated/v2/index';
// Exported by both indexes: the v2 (current protocol) types.
export type { ${both.join(', ')} } from './generated/v2/index';
// Experimental API (\`generate-ts --experimental\`), the parts codex-rx uses: a server takes them only with \`experimentalApi\`.
${expExports.map((rel) => `export type { ${rel.split('/').pop()} } from './generated-experimental/${rel}';`).join('\n')}
`;
fs.writeFileSync(path.join(outRoot, 'types.generated.ts'), typesOut);
console.log(`generated ${rows.length} methods from ${version} into ${path.relative(root, outRoot)}`);
