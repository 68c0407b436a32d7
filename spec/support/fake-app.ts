/** The fake app-server specs' shared setup: a FakeAppServer with a client, and readers of what it sent. */
import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { CodexClient } from '../../src/client';
import type { ConversationStep } from '../../src/models';
import type { ClientOptions } from '../../src/options';
import { FakeAppServer, type FakeAppServerOptions } from '../../src/testing';

const clients: CodexClient[] = [];

/** A server and its client (close them with `closeClients` after each test). */
export function fakeApp(options: FakeAppServerOptions = {}, clientOptions: ClientOptions = {}) {
  const server = new FakeAppServer(options);
  const client = server.client({ requestTimeoutMs: 10_000, ...clientOptions });
  clients.push(client);
  return { server, client };
}

/** Closes every client made by `fakeApp` (use in `afterEach`). */
export async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

export const collect = <T>(o: Observable<T>): Promise<T[]> => lastValueFrom(o.pipe(toArray()));

/** What the server sent, one label per frame: a method, or `response <id>` / `error <id>`. */
export const wire = (server: FakeAppServer): string[] =>
  server.sent.map((f) => {
    const frame = f as { id?: unknown; method?: string; error?: unknown };
    return frame.method ?? `${frame.error ? 'error' : 'response'} ${String(frame.id)}`;
  });

export const stepText = (s: ConversationStep): Array<string | null> => [s.stepType, s.text];

/** The rejection of `p` (fails when it resolves). */
export async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * A Promise the test awaits later, marked handled now: an assertion failing before the await then
 * fails the test instead of crashing the run with an unhandled rejection.
 */
export function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
