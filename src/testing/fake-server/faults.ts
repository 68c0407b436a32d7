/**
 * Fault injection on a `FakeAppServer`: methods that answer badly (late, never, twice, too big,
 * malformed), overload on chosen methods, and turns that misbehave by the first word of the
 * user's text. Browser-safe; `serveFakeAppServerOverStdio` (`codex-rx/testing/node`) gives it
 * the process hooks.
 */
import { response } from '../frames';
import type { FakeAppServer, FakeMethodHandler } from './fake-app-server';
import { faultScript, sendHuge, type FaultHooks } from './fault-script';
import { FakeRpcError } from './types';

export type { FaultHooks } from './fault-script';

/** Options of `installFaults`. */
export interface FaultOptions {
  /** Answer the first `n` requests of each method with `-32001` (server overloaded), e.g. `{ 'model/list': 2 }`. */
  overload?: Record<string, number>;
  /**
   * What `EXIT`, `fake/exit`, `CLOSE_STDOUT` and `GRANDCHILD_EXIT` do. Default: `exit` ends the
   * in-memory transport like a crashed process; the others do nothing.
   */
  hooks?: Partial<FaultHooks>;
}

const never = (): Promise<undefined> => new Promise<undefined>(() => undefined);

/**
 * Makes `server` a fault injector. Sets its turn script (the first word of the text picks):
 *
 * - `ECHO <t>`: `Echo: <t>`; any other text: `Echo: <text>`
 * - `HANG`: `turn/started`, then nothing; `EXIT <code>`: `turn/started`, then the server exits
 * - `GARBAGE <t>`: like ECHO, with a log line, a half-JSON line, blank lines, a 10 MB line and a
 *   frame cut inside a multi-byte character (sent in two writes) around its frames
 * - `MALFORMED <t>`: `item/completed` without item, a delta without delta, `turn/started` without turn, then like ECHO
 * - `NO_COMPLETE <t>`, `NO_COMPLETE_LATE <t>` (idle after 150 ms), `NO_COMPLETE_NO_ITEM <t>` (deltas
 *   only): the thread goes idle but `turn/completed` never comes; `thread/read` shows the turn completed
 * - `SREQ`: server requests with ids `0` and `"req-s"` of unknown methods; `APPROVAL`: a command
 *   approval; `USER_INPUT [qid]`: one question; `DUP_APPROVAL`: two approvals that share id 5.
 *   Each answer comes back as a `fake/answer {frame}` notification before the turn completes
 * - `DEEP <t>`: `item/completed` and `turn/completed` nested 5,000 deep, then like ECHO
 * - `HUGE <mb> <t>`: a delta line of about `<mb>` MB; `HUGE_NO_NL <mb> <t>`: that many MB without a
 *   newline; `FLOOD_DELTAS <ms> <n> <kb> <t>`: after `<ms>`, `<n>` deltas of `<kb>` KB; then like ECHO
 * - `SILENT_THEN <ms> <n> <t>`: silence for `<ms>`, then `<n>` deltas, then like ECHO
 * - `BIGID`: a server request whose id is 9007199254740993 (beyond 2^53), then `Echo: BIGID`
 * - `OVERLOADED`: `turn/start` itself is answered `-32001`
 * - `CLOSE_STDOUT`, `GRANDCHILD_EXIT`: `turn/started`, then `hooks.closeOutput()`, or `hooks.spawnGrandchild()` and exit
 *
 * And adds methods: `model/list` (one model, `fake-model`), `fake/stats` (`{counts: {method: n}, received: [every frame the client sent]}`),
 * `fake/slow {delayMs}` (answered `{late: true}` after), `fake/silent` (never answered),
 * `fake/unknownId` (a response with id 999999 first), `fake/duplicate` (answered twice),
 * `fake/exit {code}`, `fake/huge {mb}` (a response of about `mb` MB), `fake/errorNull`
 * (`error: null` beside the result), `fake/badError` (`error: "boom"`).
 */
export function installFaults(server: FakeAppServer, options: FaultOptions = {}): FakeAppServer {
  const hooks: FaultHooks = {
    exit: (code) => server.transport.exit(code),
    closeOutput: () => undefined,
    spawnGrandchild: () => undefined,
    ...options.hooks,
  };
  const overload = { ...options.overload };
  const overloaded = (method: string): boolean => {
    if (!((overload[method] ?? 0) > 0)) return false;
    overload[method]!--;
    return true;
  };
  const methods = faultMethods(server, hooks);
  for (const method of new Set([...Object.keys(methods), ...Object.keys(overload)])) {
    server.handle(method, (params, ctx) => {
      if (overloaded(method)) throw new FakeRpcError(-32001, 'Server overloaded; retry later.');
      return methods[method]?.(params, ctx);
    });
  }
  server.onTurn(faultScript(server, hooks));
  return server;
}

/** The methods `installFaults` adds or overrides (without overload). */
function faultMethods(server: FakeAppServer, hooks: FaultHooks): Record<string, FakeMethodHandler> {
  // Answered by hand (twice, malformed, in pieces): the handler then never settles, so nothing else answers.
  const byHand = (send: () => unknown) => {
    void send();
    return never();
  };
  return {
    'turn/start': (params: { input?: Array<{ type?: string; text?: string }> }) => {
      const text = params.input?.find((i) => i.type === 'text')?.text ?? '';
      if (text.split(' ')[0] === 'OVERLOADED') throw new FakeRpcError(-32001, 'Server overloaded; retry later.');
      return undefined;
    },
    'model/list': () => ({ data: [{ id: 'fake-model', model: 'fake-model', displayName: 'Fake' }], nextCursor: null }),
    'fake/stats': () => {
      const counts: Record<string, number> = {};
      for (const r of server.requests) counts[r.method] = (counts[r.method] ?? 0) + 1;
      return { counts, received: server.transport.sent };
    },
    'fake/slow': async (p: { delayMs?: number } | undefined, ctx) => {
      await ctx.wait(p?.delayMs ?? 0);
      return { late: true };
    },
    'fake/silent': never,
    'fake/unknownId': () => {
      server.send(response(999999, { stray: true }));
      return { ok: true };
    },
    'fake/duplicate': (_p, { id }) => byHand(() => server.send(response(id, { copy: 1 }), response(id, { copy: 2 }))),
    'fake/errorNull': (_p, { id }) => byHand(() => server.send({ id, result: { ok: true }, error: null })),
    'fake/badError': (_p, { id }) => byHand(() => server.send({ id, error: 'boom' })),
    'fake/huge': (p: { mb?: number } | undefined, { id }) =>
      byHand(() => sendHuge((c) => server.sendRaw(c), `{"id":${JSON.stringify(id)},"result":{"blob":"`, p?.mb ?? 1, '"}}\n')),
    'fake/exit': (p: { code?: number } | undefined) => byHand(() => hooks.exit(p?.code ?? 0)),
  };
}
