/**
 * Two memory bounds found by hostile input (issue 25): a line that arrives a byte at a time is held
 * in about its own size (not a `Buffer` per chunk), and requests that time out while the server has
 * stopped reading free their text at once, so that re-sent ones stay within `maxQueuedBytes`.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { VirtualTimeScheduler } from 'rxjs';
import { NdjsonDecoder } from '../../src/streams/ndjson';
import { OutboundQueue } from '../../src/streams/outbound-queue';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const used = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('NdjsonDecoder: a line dripped a byte at a time', () => {
  it('holds a 3 MB line in under 3 × its size, and decodes it whole', () => {
    const size = 3 * 1024 * 1024;
    const values: unknown[] = [];
    const decoder = new NdjsonDecoder((v) => values.push(v));
    const text = JSON.stringify({ method: 'x', params: { s: 'é'.repeat((size - 40) / 2) } });
    const bytes = Buffer.from(text);
    const before = used();
    const one = Buffer.alloc(1);
    for (let i = 0; i < bytes.length; i++) {
      one[0] = bytes[i]!;
      decoder.push(one); // the producer reuses its chunk: the decoder must copy
    }
    const held = used() - before;
    expect(decoder.heldBytes).toBe(bytes.length);
    expect(decoder.capacityBytes).toBeLessThan(2 * bytes.length);
    expect(held).toBeLessThan(3 * bytes.length);
    decoder.push(Buffer.from('\n'));
    expect(values).toEqual([JSON.parse(text)]);
    expect(decoder.heldBytes).toBe(0);
  });

  it('still drops a dripped line past maxFrameBytes, keeping its head', () => {
    const values: unknown[] = [];
    const decoder = new NdjsonDecoder((v) => values.push(v), 10_000);
    const one = Buffer.alloc(1, 0x61);
    for (let i = 0; i < 20_000; i++) decoder.push(one);
    expect(decoder.heldBytes).toBe(0);
    decoder.push(Buffer.from('\n{"id":1,"result":{}}\n'));
    expect(values).toEqual([
      expect.objectContaining({ bytes: 20_000, maxFrameBytes: 10_000, head: 'a'.repeat(1_000) }),
      { id: 1, result: {} },
    ]);
  });
});

describe('OutboundQueue: a server that stopped reading, and requests that time out and are sent again', () => {
  it('frees each cancelled text at once: what it holds stays within maxQueuedBytes and the link is not failed', () => {
    const maxQueuedBytes = 8 * 1024 * 1024;
    const failures: Error[] = [];
    const written: string[] = [];
    const stalled = { full: true, write: (t: string) => (written.push(t), false) };
    const queue = new OutboundQueue(stalled, { stallTimeoutMs: null, maxQueuedBytes }, new VirtualTimeScheduler(), (e) => failures.push(e));
    const mb = 'x'.repeat(1024 * 1024);
    let peak = 0;
    for (let i = 0; i < 600; i++) {
      const handle = queue.push(`{"id":${i},"method":"thread/list","params":{"pad":"${mb}"}}`);
      peak = Math.max(peak, queue.heldChars);
      expect(handle.cancel()).toBe(true); // its request timed out
    }
    expect(failures).toEqual([]);
    expect(peak).toBeLessThanOrEqual(maxQueuedBytes);
    expect(queue.heldChars).toBe(0);
    expect(queue.waitingBytes).toBe(0);
  });

  it('still fails the link when what waits (not cancelled) passes maxQueuedBytes', () => {
    const failures: Error[] = [];
    const stalled = { full: true, write: () => false };
    const queue = new OutboundQueue(stalled, { stallTimeoutMs: null, maxQueuedBytes: 3_000 }, new VirtualTimeScheduler(), (e) =>
      failures.push(e),
    );
    for (let i = 0; i < 4; i++) queue.push('y'.repeat(1_000));
    expect(failures).toEqual([expect.objectContaining({ code: 'unresponsive' })]);
  });

  it('hands the link only what was not cancelled, in order, when it drains', () => {
    const written: string[] = [];
    const sink = { full: true, write: (t: string) => (written.push(t), true) };
    const queue = new OutboundQueue(sink, { stallTimeoutMs: null, maxQueuedBytes: 1e9 }, new VirtualTimeScheduler(), () => undefined);
    const handles = Array.from({ length: 200 }, (_, i) => queue.push(`f${i}`));
    handles.forEach((h, i) => i % 3 !== 0 && h.cancel());
    sink.full = false;
    queue.drained();
    expect(written).toEqual(Array.from({ length: 200 }, (_, i) => `f${i}`).filter((_, i) => i % 3 === 0));
  });
});
