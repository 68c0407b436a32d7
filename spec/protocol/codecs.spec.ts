/**
 * The hand-written guards of the hot path say exactly what their io-ts codecs say, on every shape
 * a JSON frame's params can take.
 */
import {
  isItemCompletedParams,
  isItemDeltaParams,
  isTurnCompletedParams,
  isTurnStartResult,
  ItemCompletedParamsCodec,
  ItemDeltaParamsCodec,
  TurnCompletedParamsCodec,
  TurnStartResultCodec,
} from '../../src/protocol/codecs';

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

const TURN_STARTS: unknown[] = [
  { turn: { id: 'u' } },
  { turn: { id: 'u', status: 'inProgress', items: [] }, extra: true },
  { turn: { id: '' } },
  { turn: { id: 1 } },
  { turn: { id: null } },
  { turn: {} },
  { turn: null },
  { turn: 'u' },
  { turn: ['u'] },
  { turn: Object.assign([], { id: 'u' }) },
  {},
  null,
  undefined,
  [],
  Object.assign([], { turn: { id: 'u' } }),
  'turn',
];

describe('isTurnStartResult', () => {
  it.each(TURN_STARTS.map((s) => [JSON.stringify(s) ?? String(s), s]))('agrees with TurnStartResultCodec.is on %s', (_, sample) => {
    expect(isTurnStartResult(sample)).toBe(TurnStartResultCodec.is(sample));
  });

  it('accepts a turn with a string id and rejects the rest', () => {
    expect(TURN_STARTS.filter((s) => isTurnStartResult(s))).toHaveLength(3);
  });
});

/** Every way to spoil one field of `good`: gone, undefined, null, and values of the wrong kinds. */
function spoiled(good: Record<string, unknown>, key: string): unknown[] {
  const without = Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
  return [
    without,
    ...[undefined, null, 1, '', 's', true, [], ['s'], {}, { message: 1 }, { message: 's' }].map((v) => ({ ...good, [key]: v })),
  ];
}

const item = { type: 'agentMessage', id: 'm1', text: 'hi' };
const itemParams = { threadId: 't', turnId: 'u', item };
const ITEM_COMPLETED: unknown[] = [
  itemParams,
  { ...itemParams, extra: 1 },
  ...spoiled(itemParams, 'threadId'),
  ...spoiled(itemParams, 'turnId'),
  ...spoiled(itemParams, 'item'),
  ...spoiled(item, 'type').map((i) => ({ ...itemParams, item: i })),
  ...spoiled(item, 'id').map((i) => ({ ...itemParams, item: i })),
  { ...itemParams, item: Object.assign([], item) },
  null,
  [],
  'x',
];

const turn = { id: 'u', status: 'completed', items: [], error: null };
const turnParams = { threadId: 't', turn };
const TURN_COMPLETED: unknown[] = [
  turnParams,
  { ...turnParams, extra: 1 },
  ...spoiled(turnParams, 'threadId'),
  ...spoiled(turnParams, 'turn'),
  ...['id', 'status', 'error', 'items'].flatMap((key) => spoiled(turn, key).map((t) => ({ ...turnParams, turn: t }))),
  { ...turnParams, turn: { ...turn, error: { message: 'boom', codexErrorInfo: null } } },
  { ...turnParams, turn: { ...turn, error: Object.assign([], { message: 'x' }) } },
  { ...turnParams, turn: Object.assign([], turn) },
  null,
  [],
];

describe.each([
  ['isItemCompletedParams', isItemCompletedParams, ItemCompletedParamsCodec, ITEM_COMPLETED, 12],
  ['isTurnCompletedParams', isTurnCompletedParams, TurnCompletedParamsCodec, TURN_COMPLETED, 26],
] as const)('%s', (_, guard, codec, samples, accepted) => {
  it('agrees with its codec on every sample', () => {
    const disagreements = samples.filter((s) => guard(s) !== codec.is(s));
    expect(disagreements).toEqual([]);
  });

  it('the samples hold both answers', () => {
    expect(samples.filter((s) => guard(s))).toHaveLength(accepted);
    expect(samples.filter((s) => !guard(s)).length).toBeGreaterThan(20);
  });
});
