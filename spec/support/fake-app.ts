/** Readers for the fake app-server specs (the server and client come from client-fixture's `fakeApp`). */
import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { ConversationStep } from '../../src/models';
import type { FakeAppServer } from '../../src/testing';

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
