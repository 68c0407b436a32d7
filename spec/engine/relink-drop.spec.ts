/**
 * A new link that drops while the client is still resuming its turns on it (`thread/resume` in
 * flight), and a server that refuses the resume, on a virtual clock. The relink is abandoned on a
 * drop: the turn waits for the next link, requests stay held, `connectionState$` stays
 * `reconnecting`; only a refusal fails the turn. Nothing the turn held may stay buffered.
 */
import type { ConnectionState } from '../../src/engine/link-recovery';
import { CodexProtocolError, CodexTransportError } from '../../src/errors';
import {
  agentMessageItem,
  errorResponse,
  itemCompleted,
  response,
  threadObject,
  turnCompleted,
  turnObject,
  turnStarted,
} from '../../src/testing/frames';
import { hello, scriptedClient } from '../support/client-fixture';
import { ZERO_STATS } from '../support/stats';

const T = 'thr-1';
const U = 'turn-1';
const ids = { threadId: T, turnId: U };

/** A server whose link 2 never answers `thread/resume` (the spec drops or answers it). */
function setup() {
  const stored = { id: U, status: 'inProgress', items: [] as object[] };
  const { transport, clock, client } = scriptedClient((f, link) => {
    const id = f.id as number;
    switch (f.method) {
      case 'initialize':
        return hello(id);
      case 'thread/start':
        return response(id, { thread: threadObject(T) });
      case 'thread/resume':
        return link === 2 ? undefined : response(id, { thread: threadObject(T) });
      case 'thread/turns/list':
        return response(id, { data: [stored], nextCursor: null });
      case 'turn/start':
        return [response(id, { turn: turnObject(U) }), turnStarted(ids)];
      case 'model/list':
        return response(id, { data: [], nextCursor: null });
      default:
        return undefined;
    }
  });
  const states: ConnectionState[] = [];
  client.connectionState$.subscribe((s) => states.push(s));
  const methods = (link: number) => transport.sent.filter((s) => s.link === link).map((s) => s.frame.method ?? `answer ${s.frame.id}`);
  /** Link 1 drops mid-turn; link 2 comes and the client sends `thread/resume` on it. */
  const toResume = async () => {
    await clock.settle();
    transport.drop(true);
    transport.restore();
    await clock.settle();
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume']);
  };
  return { transport, client, clock, stored, states, methods, toResume };
}

const big = agentMessageItem('m', 'x'.repeat(100_000));

describe('the new link drops while the client resumes its turn on it', () => {
  it('the turn is resumed on the next link and completes; meanwhile the state is reconnecting and requests wait', async () => {
    const { transport, client, clock, stored, states, methods, toResume } = setup();
    const once = client.chatOnce('go');
    await toResume();
    transport.drop(true);
    await clock.settle();
    expect(states).toEqual(['connecting', 'connected', 'reconnecting']);
    const models = client.listModels();
    await clock.settle();
    expect(methods(2)).toEqual(['initialize', 'initialized', 'thread/resume']);
    transport.restore();
    await clock.settle();
    expect(methods(3)).toEqual(['initialize', 'initialized', 'thread/resume', 'thread/turns/list', 'model/list']);
    await expect(models).resolves.toEqual({ data: [], nextCursor: null });
    stored.items.push(agentMessageItem('m', 'the answer'));
    transport.push(itemCompleted({ ...ids, item: agentMessageItem('m', 'the answer') }), turnCompleted(ids));
    expect((await once).finalText).toBe('the answer');
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.stats).toEqual(ZERO_STATS);
    await client.close();
  });

  it('live frames that came while it waited for thread/resume are delivered once after the next link’s resume, and freed', async () => {
    const { transport, client, clock, stored, toResume } = setup();
    const steps: string[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.chat('go').subscribe({ next: (s) => steps.push(`${s.itemId}:${s.text?.length}`), error: reject, complete: resolve }),
    );
    await toResume();
    transport.push(itemCompleted({ ...ids, item: big }));
    transport.drop(true);
    await clock.settle();
    expect(steps).toEqual([]);
    stored.items.push(big);
    transport.restore();
    await clock.settle();
    expect(steps).toEqual(['m:100000']);
    transport.push(turnCompleted(ids));
    await done;
    expect(steps).toEqual(['m:100000']);
    expect(client.stats).toEqual(ZERO_STATS);
    await client.close();
  });

  it('a server that was restarted meanwhile takes the turn with it: it fails (exited) and nothing stays buffered', async () => {
    const { transport, client, clock, states, toResume } = setup();
    const once = client.chatOnce('go').catch((e: unknown) => e);
    await toResume();
    transport.push(itemCompleted({ ...ids, item: big }));
    transport.drop(false);
    const err = await once;
    expect(err).toBeInstanceOf(CodexTransportError);
    expect(err).toMatchObject({ code: 'exited' });
    await clock.settle();
    expect(client.stats).toEqual(ZERO_STATS);
    expect(states[states.length - 1]).toBe('reconnecting');
    await client.close();
  });
});

describe('a server that refuses to resume the thread on the new link', () => {
  it('fails the turn with its refusal, drops what the turn held, and the connection goes on', async () => {
    const { transport, client, clock, states, toResume } = setup();
    const once = client.chatOnce('go').catch((e: unknown) => e);
    await toResume();
    transport.push(itemCompleted({ ...ids, item: big }));
    const resume = transport.sent.find((s) => s.link === 2 && s.frame.method === 'thread/resume')!;
    transport.push(errorResponse(resume.frame.id as number, -32600, 'no such thread'));
    const err = await once;
    expect(err).toBeInstanceOf(CodexProtocolError);
    expect((err as Error).message).toContain('no such thread');
    await expect(client.listModels()).resolves.toEqual({ data: [], nextCursor: null });
    await clock.settle();
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(client.stats).toEqual(ZERO_STATS);
    await client.close();
  });
});
