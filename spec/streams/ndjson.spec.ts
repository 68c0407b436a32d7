import { from, Observable, Subject, toArray, lastValueFrom } from 'rxjs';
import { InvalidLine, ndjson, NdjsonDecoder, OversizedFrame } from '../../src/streams/ndjson';
import { newScheduler } from '../support/marbles';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const collect = (chunks: Array<string | Uint8Array>, config?: Parameters<typeof ndjson>[0]) =>
  lastValueFrom(from(chunks).pipe(ndjson(config), toArray()));

describe('ndjson()', () => {
  it('joins a line split across chunks and emits when its newline arrives', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b-c|', {
        a: bytes('{"id":1,"res'),
        b: bytes('ult":"o'),
        c: bytes('k"}\n'),
      });
      expectObservable(src.pipe(ndjson())).toBe('----c|', { c: { id: 1, result: 'ok' } });
    });
  });

  it('emits several lines of one chunk in order, at the same frame', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-----|', { a: bytes('{"n":1}\n{"n":2}\n{"n":3}\n') });
      expectObservable(src.pipe(ndjson())).toBe('(abc)-|', { a: { n: 1 }, b: { n: 2 }, c: { n: 3 } });
    });
  });

  it('handles a chunk that ends one line, holds another whole, and starts a third', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b-----c|', {
        a: bytes('{"n"'),
        b: bytes(':1}\n{"n":2}\n{"n":'),
        c: bytes('3}\n'),
      });
      expectObservable(src.pipe(ndjson())).toBe('--(xy)--z|', { x: { n: 1 }, y: { n: 2 }, z: { n: 3 } });
    });
  });

  it('decodes multi-byte UTF-8 characters split between bytes of different chunks', () => {
    const line = bytes(JSON.stringify({ text: 'price: €5 🎉 done' }) + '\n');
    const euro = line.indexOf(bytes('€'));
    const emoji = line.indexOf(bytes('🎉'));
    // Split inside the 3-byte euro sign and twice inside the 4-byte emoji.
    const cuts = [euro + 1, euro + 2, emoji + 1, emoji + 3];
    const chunks: Uint8Array[] = [];
    let prev = 0;
    for (const cut of cuts) {
      chunks.push(line.subarray(prev, cut));
      prev = cut;
    }
    chunks.push(line.subarray(prev));
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('abcde|', { a: chunks[0]!, b: chunks[1]!, c: chunks[2]!, d: chunks[3]!, e: chunks[4]! });
      expectObservable(src.pipe(ndjson())).toBe('----x|', { x: { text: 'price: €5 🎉 done' } });
    });
  });

  it('strips \\r of \\r\\n line ends', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b|', { a: bytes('{"n":1}\r\n{"n"'), b: bytes(':2}\r\n') });
      expectObservable(src.pipe(ndjson())).toBe('a-b|', { a: { n: 1 }, b: { n: 2 } });
    });
  });

  it('also strips \\r when \\r and \\n arrive in different chunks', async () => {
    await expect(collect([bytes('{"n":1}\r'), bytes('\n')])).resolves.toEqual([{ n: 1 }]);
  });

  it('skips blank and whitespace-only lines (no InvalidLine for them)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b|', {
        a: bytes('\n\n   \n\t \r\n{"n":1}\n'),
        b: bytes(' \t\n\r\n{"n":2}\n\n'),
      });
      expectObservable(src.pipe(ndjson())).toBe('a-b|', { a: { n: 1 }, b: { n: 2 } });
    });
  });

  it('parses a 10 MB line delivered in 64 KiB chunks', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const line = bytes(JSON.stringify({ id: 7, result: { big } }) + '\n');
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < line.length; i += 65536) chunks.push(line.subarray(i, i + 65536));
    expect(chunks.length).toBeGreaterThan(150);
    const out = (await collect(chunks)) as Array<{ id: number; result: { big: string } }>;
    expect(out).toHaveLength(1);
    expect(out[0]!.id).toBe(7);
    expect(out[0]!.result.big.length).toBe(10 * 1024 * 1024);
    expect(out[0]!.result.big).toBe(big);
  });

  it('turns a non-JSON line into an InvalidLine and keeps going', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a----b|', { a: bytes('{"n":1}\nnot json at all\n'), b: bytes('{"n":2}\n') });
      const out = src.pipe(ndjson());
      expectObservable(out).toBe('(ab)-c|', {
        a: { n: 1 },
        b: expect.any(InvalidLine),
        c: { n: 2 },
      });
    });
  });

  it('describes the invalid line: text, length and the parser reason; truncates long garbage', async () => {
    const garbage = '<' + 'g'.repeat(5000);
    const out = await collect([bytes('{"broken":\n' + garbage + '\n')]);
    expect(out).toHaveLength(2);
    const [a, b] = out as InvalidLine[];
    expect(a).toBeInstanceOf(InvalidLine);
    expect(a!.line).toBe('{"broken":');
    expect(a!.length).toBe(10);
    expect(a!.reason).toMatch(/JSON/i);
    expect(b!.line).toBe(garbage.slice(0, 1000));
    expect(b!.length).toBe(5001);
  });

  it('accepts string chunks, split lines included', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<string>('a-b-c|', { a: '{"s":"€', b: '🎉"}\n{"n"', c: ':2}\r\n\n' });
      expectObservable(src.pipe(ndjson())).toBe('--b-c|', { b: { s: '€🎉' }, c: { n: 2 } });
    });
  });

  it('emits a last line without newline on completion', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b|', { a: bytes('{"n":1}\n{"n"'), b: bytes(':2}') });
      expectObservable(src.pipe(ndjson())).toBe('a--(b|)', { a: { n: 1 }, b: { n: 2 } });
    });
  });

  it('emits a last string line without newline on completion', async () => {
    await expect(collect(['{"n":1}\n{"n":', '2}'])).resolves.toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('drops the unterminated last line when flushOnComplete is false', async () => {
    await expect(collect([bytes('{"n":1}\n{"n":2}')], { flushOnComplete: false })).resolves.toEqual([{ n: 1 }]);
  });

  it('does not emit a partial line when the source errors', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold<Uint8Array>('a-b#', { a: bytes('{"n":1}\n'), b: bytes('{"n":2}') }, new Error('pipe broke'));
      expectObservable(src.pipe(ndjson())).toBe('a--#', { a: { n: 1 } }, new Error('pipe broke'));
    });
  });

  it('copies the held tail, so a producer reusing its buffer cannot corrupt a split line', async () => {
    const subject = new Subject<Uint8Array>();
    const seen: unknown[] = [];
    subject.pipe(ndjson()).subscribe((v) => seen.push(v));
    const buf = Buffer.alloc(8);
    buf.write('{"a":"xy');
    subject.next(buf);
    buf.fill(0x7a); // the producer reuses its memory
    subject.next(bytes('z"}\n'));
    expect(seen).toEqual([{ a: 'xyz' }]);
  });

  it('accepts plain Uint8Array chunks, not only Buffers', async () => {
    const u8 = new TextEncoder().encode('{"n":1}\n');
    await expect(collect([u8])).resolves.toEqual([{ n: 1 }]);
  });

  it('is cold: each subscription has its own line buffer', async () => {
    const src = new Observable<string>((s) => {
      s.next('{"n":');
      s.next('1}\n');
      s.complete();
    });
    const framed = src.pipe(ndjson());
    await expect(lastValueFrom(framed.pipe(toArray()))).resolves.toEqual([{ n: 1 }]);
    await expect(lastValueFrom(framed.pipe(toArray()))).resolves.toEqual([{ n: 1 }]);
  });
});

describe('NdjsonDecoder: lines over maxFrameBytes', () => {
  it('never holds more than maxFrameBytes of a line that goes on and on, then reports it once and parses the next', () => {
    const out: unknown[] = [];
    const max = 4 * 1024 * 1024;
    const decoder = new NdjsonDecoder((v) => out.push(v), max);
    const chunk = Buffer.alloc(1024 * 1024, 0x78); // 1 MiB of 'x', no newline
    let most = 0;
    for (let i = 0; i < 200; i++) {
      decoder.push(chunk);
      most = Math.max(most, decoder.heldBytes);
    }
    decoder.push(Buffer.from('xx\n{"ok":1}\n'));
    expect(most).toBeLessThanOrEqual(max);
    expect(decoder.heldBytes).toBe(0);
    expect(out).toEqual([expect.any(OversizedFrame), { ok: 1 }]);
    const oversized = out[0] as OversizedFrame;
    expect(oversized.bytes).toBe(200 * 1024 * 1024 + 2);
    expect(oversized.head).toBe('x'.repeat(1000));
  });

  it('string input: the same, measured in characters', () => {
    const out: unknown[] = [];
    const decoder = new NdjsonDecoder((v) => out.push(v), 10);
    decoder.push('{"a":"0123456789"}\n{"b":');
    decoder.push('1}\n');
    expect(out).toEqual([expect.objectContaining({ bytes: 18, maxFrameBytes: 10, head: '{"a":"0123456789"}' }), { b: 1 }]);
  });
});
