/**
 * JsonRpcConnection across links (spec/support/linked-transport.ts): what its owner's relink may
 * do, and what becomes of the requests held meanwhile when the new link drops before that is done.
 */
import { JsonRpcConnection } from '../../src/streams/connection';
import { response } from '../../src/testing/frames';
import { flushMicrotasks } from '../../src/testing/virtual-time';
import { LinkedTransport } from '../support/linked-transport';

function setup() {
  const transport = new LinkedTransport((f) => response(f.id as number, { link: 'ok' }));
  const connection = new JsonRpcConnection(transport);
  const methods = (link: number) => transport.sent.filter((s) => s.link === link).map((s) => s.frame.method);
  return { transport, connection, methods };
}

describe('a new link that drops before the owner’s relink is done', () => {
  it('releases nothing, even when the relink resolves: held requests go out on the next link', async () => {
    const { transport, connection, methods } = setup();
    await connection.start();
    transport.drop(true);
    const held = connection.request('model/list');
    let finish!: () => void;
    let step = connection.beforeRelease(() => new Promise<void>((resolve) => (finish = resolve)));
    transport.restore();
    transport.drop(true);
    finish();
    await flushMicrotasks();
    expect(methods(2)).toEqual([]);
    expect(connection.isLinkDown).toBe(true);
    step.unsubscribe();
    step = connection.beforeRelease(async () => undefined);
    transport.restore();
    await expect(held).resolves.toEqual({ link: 'ok' });
    expect(methods(3)).toEqual(['model/list']);
    expect(connection.isLinkDown).toBe(false);
    await connection.close();
  });

  it('a relink that fails because its link dropped does not close the connection', async () => {
    const { transport, connection, methods } = setup();
    await connection.start();
    transport.drop(true);
    const held = connection.request('model/list');
    let fail!: (err: Error) => void;
    const step = connection.beforeRelease(() => new Promise<void>((_resolve, reject) => (fail = reject)));
    transport.restore();
    transport.drop(true);
    fail(new Error('whatever the lost link made the owner throw'));
    await flushMicrotasks();
    expect(connection.isClosed).toBe(false);
    step.unsubscribe();
    transport.restore();
    await expect(held).resolves.toEqual({ link: 'ok' });
    expect(methods(3)).toEqual(['model/list']);
    await connection.close();
  });
});
