/**
 * A TCP (or Unix socket) proxy between a client and a server, to cut the link the way networks do
 * while the server goes on: `cut()` resets the connections, `down()` also refuses new ones until
 * `up()`, `blackhole()` keeps the connections open but lets nothing through (a half-open link).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

/** Where the proxy dials: a TCP port, or a Unix socket. */
type Target = { host: string; port: number } | { path: string };

export class TcpProxy {
  /** The Unix socket it listens on (`startUnix`), else null. */
  private listenPath: string | null = null;

  private server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; blackholed: boolean }>();
  private refusing = false;

  private constructor(
    private target: Target,
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const proxy = new TcpProxy(target, (server.address() as net.AddressInfo).port, server);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** A proxy listening on the Unix socket `listenPath`, to the server's socket `target.path`. */
  static async startUnix(target: { path: string }, listenPath: string): Promise<TcpProxy> {
    fs.rmSync(listenPath, { force: true });
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(listenPath, () => resolve()));
    const proxy = new TcpProxy(target, 0, server);
    proxy.listenPath = listenPath;
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** Connections passing through now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Resets every connection (both sides see the link drop). */
  cut(): void {
    for (const pair of this.pairs) {
      // A Unix socket has no RST: it is just closed.
      if (this.listenPath === null) pair.client.resetAndDestroy();
      else pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Cuts, and refuses new connections until `up()` (the port closes: dialing is refused). */
  async down(): Promise<void> {
    this.refusing = true;
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async up(): Promise<void> {
    this.refusing = false;
    this.server = net.createServer((client) => this.accept(client));
    const path = this.listenPath;
    if (path !== null) fs.rmSync(path, { force: true });
    await new Promise<void>((resolve) =>
      path !== null ? this.server.listen(path, resolve) : this.server.listen(this.port, '127.0.0.1', resolve),
    );
  }

  /** New connections go to another server from now on (the ones open stay where they are). */
  retarget(target: Target): void {
    this.target = target;
  }

  /** The connections stay open, and nothing gets through either way any more; new ones work. */
  blackhole(): void {
    for (const pair of this.pairs) pair.blackholed = true;
  }

  async close(): Promise<void> {
    this.cut();
    if (!this.refusing) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = 'path' in this.target ? net.connect(this.target.path) : net.connect(this.target.port, this.target.host);
    const pair = { client, upstream, blackholed: false };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => pair.blackholed || upstream.write(d));
    upstream.on('data', (d) => pair.blackholed || client.write(d));
    for (const s of [client, upstream]) {
      s.on('error', forget);
      s.on('close', () => pair.blackholed || forget());
    }
  }
}
