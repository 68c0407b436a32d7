/**
 * The hand-written guards of the hot path say exactly what their io-ts codecs say, on every shape
 * a JSON frame's params can take.
 */
import { isItemDeltaParams, ItemDeltaParamsCodec } from '../../src/protocol/codecs';

const valid = { threadId: 't', turnId: 'u', itemId: 'i', delta: 'd' };

const SAMPLES: unknown[] = [
  valid,
  { ...valid, extra: 1, nested: { a: [1] } },
  { ...valid, delta: '' },
  ...Object.keys(valid).flatMap((key) => [
    { ...valid, [key]: undefined },
    { ...valid, [key]: null },
    { ...valid, [key]: 1 },
    { ...valid, [key]: ['x'] },
    { ...valid, [key]: { x: 1 } },
    Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key)),
  ]),
  null,
  undefined,
  'delta',
  42,
  true,
  [],
  ['t', 'u', 'i', 'd'],
  Object.assign([], valid),
  {},
  Object.assign(Object.create(null) as object, valid),
];

describe('isItemDeltaParams', () => {
  it.each(SAMPLES.map((s) => [JSON.stringify(s) ?? String(s), s]))('agrees with ItemDeltaParamsCodec.is on %s', (_, sample) => {
    expect(isItemDeltaParams(sample)).toBe(ItemDeltaParamsCodec.is(sample));
  });

  it('accepts the params of a real delta and rejects the rest (the samples are not all one answer)', () => {
    const answers = SAMPLES.map((s) => isItemDeltaParams(s));
    expect(answers.filter(Boolean)).toHaveLength(4);
    expect(answers.filter((a) => !a).length).toBeGreaterThan(30);
  });
});
