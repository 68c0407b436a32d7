/** approximateBytes: what the byte budget charges for a frame. It must not be fooled by the frame's shape. */
import { approximateBytes } from '../../src/protocol/describe';

describe('approximateBytes', () => {
  it('counts 2 bytes a character, and a little per value, key and container', () => {
    expect(approximateBytes('abc')).toBe(2 * 3 + 16);
    expect(approximateBytes(42)).toBe(8);
    expect(approximateBytes({ ab: [1, 'x'] })).toBe(32 + (2 * 2 + 16) + 32 + 8 + (2 + 16));
  });

  it('counts a string at any depth in full (10,000 levels: no recursion to stop or overflow)', () => {
    let v: unknown = 'q'.repeat(1_000_000);
    for (let i = 0; i < 10_000; i++) v = i % 2 ? { k: v } : [v];
    expect(approximateBytes(v)).toBeGreaterThan(2_000_000);
  });

  it('a cyclic value is over any budget rather than a hang', () => {
    const a: Record<string, unknown> = { name: 'loop' };
    a.self = a;
    expect(approximateBytes(a)).toBeGreaterThan(1e15);
  });

  it('a getter that throws counts what was seen, and does not throw', () => {
    const v = {
      s: 'x'.repeat(100),
      get bad(): string {
        throw new Error('no');
      },
    };
    expect(approximateBytes(v)).toBeGreaterThanOrEqual(200);
  });
});
