/**
 * A lone UTF-16 surrogate in a user's text (issue 25): the REAL app-server drops such a
 * `turn/start` without an answer (its JSON decoder refuses it; only its stderr says so), so a chat
 * would wait out the request timeout. It fails at once with a TypeError naming the field, nothing
 * is sent, and the same text made well-formed goes through.
 */
import { CodexClient } from '../../src/client';
import { StdioTransport } from '../../src/streams/stdio';
import { startOfflineCodex, type OfflineCodex } from '../../src/testing/real-server';

jest.setTimeout(30_000);

describe('lone surrogates in turn input, against the real server', () => {
  let off: OfflineCodex;
  let client: CodexClient;
  /** The methods sent to the server. */
  const sent: string[] = [];

  beforeAll(async () => {
    off = await startOfflineCodex();
    const transport = new StdioTransport({ command: off.command, env: off.env, cwd: off.workspace });
    const send = transport.send.bind(transport);
    transport.send = (text: string) => {
      sent.push(String((JSON.parse(text) as { method?: string }).method));
      return send(text);
    };
    client = new CodexClient(transport);
    await client.initialize();
  });
  afterAll(async () => {
    await client?.close();
    await off?.dispose();
  });

  it('fails chatOnce, chat and steerTurn at once with a TypeError naming the field; nothing goes out', async () => {
    const thread = await client.startThread({ cwd: off.workspace });
    const before = sent.length;
    await expect(thread.chatOnce('ECHO broken \uD800 text')).rejects.toThrow(
      new TypeError('text holds a lone UTF-16 surrogate at index 12, which the server cannot decode: send text.toWellFormed()'),
    );
    await expect(
      client.chatOnce([
        { type: 'text', text: 'ok', text_elements: [] },
        { type: 'text', text: '\uDC00', text_elements: [] },
      ]),
    ).rejects.toThrow(/text\[1\]\.text holds a lone UTF-16 surrogate at index 0/);
    // a caller's mistake: chat() throws at the call, as it does without text
    expect(() => thread.chat('x\uDBFF')).toThrow(/text holds a lone UTF-16 surrogate at index 1/);
    await expect(
      client.steerTurn({
        threadId: thread.threadId,
        expectedTurnId: 'u',
        inputItems: [{ type: 'text', text: '\uD83D', text_elements: [] }],
      }),
    ).rejects.toThrow(/inputItems\[0\]\.text holds a lone UTF-16 surrogate/);
    expect(sent.slice(before).filter((m) => m === 'turn/start' || m === 'turn/steer')).toEqual([]);
  });

  it('sends the same text once made well-formed, and a real pair as it is', async () => {
    // String.prototype.toWellFormed (Node 20+), absent from the ES2022 lib this project compiles against
    const wellFormed = ('ECHO broken \uD800 text' as unknown as { toWellFormed(): string }).toWellFormed();
    const result = await client.chatOnce(wellFormed, { threadConfig: { cwd: off.workspace } });
    expect(result.finalText).toBe('Echo: broken \uFFFD text');
    const pair = await client.chatOnce('ECHO party \uD83C\uDF89', { threadConfig: { cwd: off.workspace } });
    expect(pair.finalText).toBe('Echo: party 🎉');
  });
});
