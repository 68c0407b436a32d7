/** A scripted app-server for the remote-environment specs, over links that drop and come back. */
import { agentMessageItem, itemCompleted, response, threadObject, turnCompleted, turnObject, turnStarted } from '../../src/testing/frames';
import { hello, scriptedClient } from './client-fixture';

/**
 * Threads `thr-1`, `thr-2`, ...; each turn answers `done`; `environment/add` and
 * `thread/settings/update` succeed; `environment/status` says `status(link)`. `refuseNextTurn()`
 * makes the next `turn/start` fail as the server fails an unknown environment. The client has
 * `experimentalApi` and is closed after the test; `sent(link)` is what it sent on that link.
 */
export function placedLink(status: (link: number) => string = () => 'unknown') {
  let threads = 0;
  let turns = 0;
  let refuse = false;
  const { transport, clock, client } = scriptedClient(
    (f, link) => {
      const id = f.id as number;
      switch (f.method) {
        case 'initialize':
          return hello(id);
        case 'thread/start':
          return response(id, { thread: threadObject(`thr-${++threads}`) });
        case 'thread/resume':
          return response(id, { thread: threadObject((f.params as { threadId: string }).threadId) });
        case 'environment/add':
        case 'thread/settings/update':
          return response(id, {});
        case 'environment/status':
          return response(id, { status: status(link) });
        case 'turn/start': {
          if (refuse) {
            refuse = false;
            return { jsonrpc: '2.0', id, error: { code: -32600, message: 'unknown turn environment id' } };
          }
          const ids = { threadId: (f.params as { threadId: string }).threadId, turnId: `turn-${++turns}` };
          return [
            response(id, { turn: turnObject(ids.turnId, { status: 'inProgress' }) }),
            turnStarted(ids),
            itemCompleted({ ...ids, item: agentMessageItem(`m${turns}`, 'done') }),
            turnCompleted(ids),
          ];
        }
        default:
          return undefined;
      }
    },
    { experimentalApi: true },
  );
  const sent = (link: number) => transport.sent.filter((x) => x.link === link).map((x) => x.frame);
  return { transport, client, clock, sent, refuseNextTurn: () => void (refuse = true) };
}
