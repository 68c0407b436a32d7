/**
 * The example app's backend, on Node: one HTTP server that serves the built app, tells the page
 * where the relay is (`/codex-relay.json`: its path and a token), and runs the codex-rx relay on
 * `/codex`, admitting only this server's own origin. Each browser tab gets its own app-server.
 *
 * This example has no users: anyone who can load the page gets the token, so it listens on
 * 127.0.0.1 only. A real backend hands the token to signed-in users (or checks a per-user token
 * with `startRelay({ token: (t, req) => ... })`).
 *
 * Run by hand: `npm run example:angular` (builds everything, then serves http://127.0.0.1:4200
 * against the real app-server and the scripted model).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { generateRelayToken, startRelay, type Relay, type RelayOptions } from 'codex-rx/relay';
import { startOfflineCodex } from 'codex-rx/testing/node';

export interface ChatBackendOptions {
  /** The built app (the builder's `browser/` directory). */
  root: string;
  /** The app-server of each browser connection (see `RelayOptions.upstream`). */
  upstream?: RelayOptions['upstream'];
  /** Default 0 (any free port). */
  port?: number;
  /** Origins allowed besides this server's own (e.g. a dev server's). */
  extraOrigins?: string[];
  /** What the browser may do (see `RelayOptions.policy`); default the relay's own safe policy. */
  policy?: RelayOptions['policy'];
}

export interface ChatBackend {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly relay: Relay;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
};

export async function startChatBackend(options: ChatBackendOptions): Promise<ChatBackend> {
  const root = path.resolve(options.root);
  const token = generateRelayToken();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    if (url.pathname === '/codex-relay.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ url: '/codex', token }));
    }
    // A file of the app, else index.html (client-side routes); never outside root.
    let file: string;
    try {
      file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
    } catch {
      return void res.writeHead(400).end();
    }
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(root, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const relay = await startRelay({
    server,
    path: '/codex',
    token,
    allowedOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`, ...(options.extraOrigins ?? [])],
    upstream: options.upstream,
    policy: options.policy,
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    relay,
    async close() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The example's relay policy: threads in `workspace`, with approvals (the page answers them). */
export function examplePolicy(workspace: string): RelayOptions['policy'] {
  return { roots: [workspace], approvalPolicies: ['on-request'] };
}

/** `npm run example:angular`: serves the built app against the real app-server and the scripted model. */
async function main(root: string): Promise<void> {
  const off = await startOfflineCodex({ approvalPolicy: 'on-request', features: { shell_snapshot: false } });
  const backend = await startChatBackend({
    root,
    port: Number(process.env.PORT ?? 4200),
    upstream: { command: off.command, env: off.env, cwd: off.workspace },
    // Widened on purpose, for a demo on 127.0.0.1: the page approves commands in the workspace,
    // which the relay's default (approval policy `never`) does not allow.
    policy: examplePolicy(off.workspace),
  });
  backend.relay.events$.subscribe((e) => {
    if (e.type !== 'diagnostic') console.log(`relay: ${JSON.stringify(e)}`);
  });
  console.log(`open ${backend.url}`);
  console.log(`try: "STREAM 6 Hello from Codex in your browser", or "RUN echo hi > hi.txt" (approve it, then see ${off.workspace})`);
  const stop = () => void Promise.all([backend.close(), off.dispose()]).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv[2] ?? path.join(__dirname, 'dist', 'browser')).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
