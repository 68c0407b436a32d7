/**
 * The specs' one client set-up and teardown. Importing this module registers an `afterEach` (in
 * the importing spec file) that closes every client made through it during the test, so a spec
 * neither keeps its own list of clients nor forgets to close one.
 *
 * - `fakeApp`, `virtualFakeApp`: the shipped FakeAppServer (src/testing/fake-server) and its
 *   in-memory client, on real or virtual time;
 * - `scriptedClient`: a client over a LinkedTransport whose links the spec drops and restores,
 *   answered by the spec's own `serve` function, on a virtual clock;
 * - (`stdioFake`, the fake app-server as a child process over stdio, is in fake-process.ts: it builds dist/);
 * - `closeAfterEach`: any other client (or transport) made by hand.
 */
import { CodexClient } from '../../src/client';
import type { ClientOptions } from '../../src/options';
import { FakeAppServer, type FakeAppServerOptions } from '../../src/testing/fake-server';
import { response } from '../../src/testing/frames';
import { LinkedTransport, type Serve } from './linked-transport';
import { virtualClock, type VirtualClock } from './marbles';

interface Closable {
  close(): Promise<unknown> | unknown;
}

const open: Closable[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map(async (c) => c.close()));
});

/** Closes `closable` after the current test; returns it. */
export function closeAfterEach<T extends Closable>(closable: T): T {
  open.push(closable);
  return closable;
}

/** A FakeAppServer and its client (closed after the test), on real time. */
export function fakeApp(
  options: FakeAppServerOptions = {},
  clientOptions: ClientOptions = {},
): { server: FakeAppServer; client: CodexClient } {
  const server = new FakeAppServer(options);
  // A request the fake never answers fails the test in 10 s, not at jest's timeout.
  const client = closeAfterEach(server.client({ requestTimeoutMs: 10_000, ...clientOptions }));
  return { server, client };
}

/** A FakeAppServer and its client (closed after the test), both on a fresh virtual clock. */
export function virtualFakeApp(
  options: FakeAppServerOptions = {},
  clientOptions: ClientOptions = {},
): { server: FakeAppServer; client: CodexClient; clock: VirtualClock } {
  const clock = virtualClock();
  const server = new FakeAppServer({ scheduler: clock.scheduler, ...options });
  const client = closeAfterEach(server.client(clientOptions));
  return { server, client, clock };
}

/**
 * A client over a LinkedTransport served by `serve`, on a virtual clock (closed after the test).
 * `methods(link)` lists what the client sent on that link.
 */
export function scriptedClient(serve: Serve, clientOptions: ClientOptions = {}) {
  const transport = new LinkedTransport(serve);
  const clock = virtualClock();
  const client = closeAfterEach(new CodexClient(transport, { scheduler: clock.scheduler, ...clientOptions }));
  const methods = (link: number): Array<string | undefined> =>
    transport.sent.filter((s) => s.link === link).map((s) => s.frame.method as string | undefined);
  return { transport, clock, client, methods };
}

/** The `initialize` answer of a scripted server (`link` tells links apart in `serverInfo`). */
export const hello = (id: number, link?: number): object =>
  response(id, { userAgent: `test/0.171.0 (linux; x64)${link === undefined ? '' : ` link-${link}`}` });
