/** `framesOut$`: the outbound tap beside `frames$` (requests with ids, notifications, answers). */
import { CodexClient } from '../../src/client';
import type { JsonRpcMessage } from '../../src/protocol/messages';
import { FakeAppServer } from '../../src/testing/fake-server';
import { InMemoryTransport } from '../../src/testing/in-memory-transport';

describe('framesOut$', () => {
  it('emits every frame the client sends, as sent, before the answer comes in', async () => {
    const server = new FakeAppServer({ delivery: 'sync' });
    const client = server.client();
    const seen: string[] = [];
    client.framesOut$.subscribe((f) => seen.push(`out ${'method' in f ? f.method : 'answer'} ${String((f as { id?: unknown }).id)}`));
    client.frames$.subscribe((f) => seen.push(`in ${'method' in f ? f.method : 'answer'} ${String((f as { id?: unknown }).id)}`));
    await client.initialize();
    const answer = server.sendRequest('item/tool/requestUserInput', { threadId: 't', turnId: 'u', itemId: 'i', questions: [] } as never);
    await answer;
    expect(seen).toEqual([
      'out initialize 1',
      'in answer 1',
      'out initialized undefined',
      'in item/tool/requestUserInput 0',
      'out answer 0',
      'in serverRequest/resolved undefined',
    ]);
    await client.close();
  });

  it('completes when the client closes', async () => {
    const transport = new InMemoryTransport();
    const client = new CodexClient(transport);
    const frames: JsonRpcMessage[] = [];
    let completed = false;
    client.framesOut$.subscribe({ next: (f) => frames.push(f), complete: () => (completed = true) });
    await client.start();
    await client.close();
    expect(completed).toBe(true);
    expect(frames).toEqual([]);
  });
});
