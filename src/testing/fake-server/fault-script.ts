/** The turn script of `installFaults`: the first word of the user's text picks a misbehaviour. */
import { agentDelta, agentMessageItem, notification, serverRequest } from '../frames';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import type { FakeAppServer } from './fake-app-server';
import type { FakeTurn, TurnScript } from './turn';
import type { ClientAnswer } from './types';

/** What a fault does to the process or stream the server runs in; none of it has an in-memory meaning of its own. */
export interface FaultHooks {
  /** Ends the server with an exit code (`EXIT`, `fake/exit`). */
  exit(code: number): void;
  /** Closes the server's output and stays alive (`CLOSE_STDOUT`). */
  closeOutput(): void;
  /** Leaves a process behind that holds the output open after the server is gone (`GRANDCHILD_EXIT`). */
  spawnGrandchild(): void;
}

const MB = 1024 * 1024;

/** Writes `head`, about `mb` MB of `x` in 1 MB pieces, then `tail`, each piece after the stream took the last. */
export async function sendHuge(send: (chunk: string) => Promise<void>, head: string, mb: number, tail: string): Promise<void> {
  const piece = 'x'.repeat(MB);
  await send(head);
  for (let i = 0; i < mb; i++) await send(piece);
  await send(tail);
}

/** The fault turn script of `server`, over `hooks` (see `installFaults` for the words). */
export function faultScript(server: FakeAppServer, hooks: FaultHooks): TurnScript {
  return async (turn) => {
    const [word = '', ...rest] = turn.text.split(' ');
    const words = rest.join(' ');
    const ids = { threadId: turn.threadId, turnId: turn.turnId };
    const answered = (answers: ClientAnswer[]) => {
      for (const frame of answers) turn.send(notification('fake/answer', { frame }));
    };
    const deepFrames = () => {
      // Written by hand: JSON.stringify itself overflows the stack on such a value.
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      turn.send(
        `{"method":"item/completed","params":{"threadId":"${turn.threadId}","turnId":"${turn.turnId}","item":${deep}}}`,
        `{"method":"turn/completed","params":{"threadId":"${turn.threadId}","turn":${deep}}}`,
      );
    };
    switch (word) {
      case 'ECHO':
        turn.message(`Echo: ${words}`);
        return;
      case 'HANG':
        turn.keepOpen();
        return;
      case 'EXIT':
        // Time for the client to see turn/started before the process goes away.
        await turn.wait(50);
        turn.keepOpen();
        return hooks.exit(Number(rest[0]));
      case 'GARBAGE':
        return garbage(turn, words);
      case 'MALFORMED':
        turn.send(notification('item/completed', ids), notification('item/agentMessage/delta', { ...ids, itemId: 'nope' }));
        turn.send(notification('turn/started', { threadId: turn.threadId }));
        turn.message(`Echo: ${words}`);
        return;
      case 'NO_COMPLETE':
        turn.message(`Echo: ${words}`);
        return turn.complete({ sendTurnCompleted: false });
      case 'NO_COMPLETE_LATE':
        turn.message(`Echo: ${words}`);
        await turn.wait(150);
        return turn.complete({ sendTurnCompleted: false });
      case 'NO_COMPLETE_NO_ITEM': {
        const item = agentMessageItem(`item_nc_${turn.turnId}`, `Echo: ${words}`);
        turn.send(agentDelta({ ...ids, itemId: item.id, delta: item.text }));
        turn.remember(item);
        return turn.complete({ sendTurnCompleted: false });
      }
      case 'SREQ':
        answered(
          await Promise.all([
            turn.request(() => serverRequest(0, 'fake/unknownRequest', { ...ids, n: 0 })),
            turn.request(() => serverRequest('req-s', 'fake/otherRequest', { ...ids, n: 1 })),
          ]),
        );
        turn.message('Echo: SREQ');
        return;
      case 'APPROVAL':
        answered([
          await turn.request((id) => serverRequest(id, 'item/commandExecution/requestApproval', approvalParams(turn, 'rm -rf /tmp/x'))),
        ]);
        turn.message('Echo: APPROVAL');
        return;
      case 'USER_INPUT': {
        const question = { id: rest[0] || 'q1', header: '', question: 'Which?', isOther: false, isSecret: false, options: null };
        const params = { ...ids, itemId: `item_ui_${turn.turnId}`, isBlocking: true, autoResolutionMs: null, questions: [question] };
        answered([await turn.request((id) => serverRequest(id, 'item/tool/requestUserInput', params))]);
        turn.message(`Echo: ${turn.text}`);
        return;
      }
      case 'DUP_APPROVAL':
        return duplicateApprovals(server, turn, answered);
      case 'DEEP':
        deepFrames();
        turn.message(`Echo: ${words}`);
        return;
      case 'HUGE': {
        const [mb, ...tail] = rest;
        const head = `{"method":"item/agentMessage/delta","params":{"threadId":"${turn.threadId}","turnId":"${turn.turnId}","itemId":"huge","delta":"`;
        await sendHuge((c) => turn.sendRaw(c), head, Number(mb), '"}}\n');
        turn.message(`Echo: ${tail.join(' ')}`);
        return;
      }
      case 'HUGE_NO_NL': {
        const [mb, ...tail] = rest;
        await sendHuge((c) => turn.sendRaw(c), '', Number(mb), '\n');
        turn.message(`Echo: ${tail.join(' ')}`);
        return;
      }
      case 'FLOOD_DELTAS': {
        const [ms, n, kb, ...tail] = rest;
        await turn.wait(Number(ms));
        const line = `${JSON.stringify(agentDelta({ ...ids, itemId: 'flood', delta: 'x'.repeat(Number(kb) * 1024) }))}\n`;
        for (let i = 0; i < Number(n); i++) await turn.sendRaw(line);
        turn.message(`Echo: ${tail.join(' ')}`);
        return;
      }
      case 'SILENT_THEN': {
        const [ms, n, ...tail] = rest;
        await turn.wait(Number(ms));
        for (let i = 0; i < Number(n); i++) turn.send(agentDelta({ ...ids, itemId: `item_st_${turn.turnId}`, delta: '.' }));
        turn.message(`Echo: ${tail.join(' ')}`);
        return;
      }
      case 'BIGID':
        // Raw: 9007199254740993 is beyond 2^53 (JSON.stringify could not write it).
        turn.send(`{"id":9007199254740993,"method":"fake/bigRequest","params":{"threadId":"${turn.threadId}","turnId":"${turn.turnId}"}}`);
        await turn.wait(100);
        turn.message('Echo: BIGID');
        return;
      case 'CLOSE_STDOUT':
        await turn.wait(50);
        turn.keepOpen();
        return hooks.closeOutput();
      case 'GRANDCHILD_EXIT':
        await turn.wait(50);
        turn.keepOpen();
        hooks.spawnGrandchild();
        return hooks.exit(0);
      default:
        turn.message(`Echo: ${turn.text}`);
    }
  };
}

function approvalParams(turn: FakeTurn, command: string, itemId = `item_ap_${turn.turnId}`, reason = 'needs approval') {
  return {
    kind: 'command',
    threadId: turn.threadId,
    turnId: turn.turnId,
    itemId,
    startedAtMs: Date.now(),
    approvalId: null,
    environmentId: null,
    reason,
    command,
    cwd: '/tmp',
    commandActions: [],
    proposedExecpolicyAmendment: null,
  };
}

/** A log line, a half-JSON line, blank lines, a 10 MB line, and a frame cut inside a multi-byte character, around a message. */
async function garbage(turn: FakeTurn, text: string): Promise<void> {
  const ids = { threadId: turn.threadId, turnId: turn.turnId };
  const item = agentMessageItem(`item_g_${turn.turnId}`, text);
  turn.send('[fake-server] INFO warming up the garbage');
  turn.startItem({ ...item, text: '' });
  turn.send('{"method":"item/agentMessage/delta","params":{"threadId":', '', '   ');
  turn.delta(item, text);
  turn.send('x'.repeat(10 * MB));
  const bytes = new TextEncoder().encode(`${JSON.stringify(notification('item/completed', { ...ids, item }))}\n`);
  const euro = indexOf(bytes, new TextEncoder().encode('€'));
  const cut = euro >= 0 ? euro + 1 : Math.floor(bytes.length / 2);
  await turn.sendRaw(bytes.subarray(0, cut));
  await turn.wait(50);
  await turn.sendRaw(bytes.subarray(cut));
  turn.remember(item);
}

/** Two command approvals that share id 5, both pending at once; resolves with both answers. */
async function duplicateApprovals(server: FakeAppServer, turn: FakeTurn, answered: (answers: ClientAnswer[]) => void): Promise<void> {
  // The server's table of pending requests is keyed by id: both requests are sent raw, and their
  // answers are taken from what the client sends.
  const both = firstValueFrom(
    server.transport.sent$.pipe(
      filter((f) => f.method === undefined && f.id === 5),
      take(2),
      toArray(),
    ),
  );
  for (const itemId of ['dup_a', 'dup_b']) {
    turn.send(serverRequest(5, 'item/commandExecution/requestApproval', approvalParams(turn, `echo ${itemId}`, itemId, itemId)));
  }
  answered((await both) as ClientAnswer[]);
  turn.message('Echo: DUP_APPROVAL');
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
