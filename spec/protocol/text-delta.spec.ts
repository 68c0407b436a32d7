/**
 * isTextDelta / deltaItemType decide, for every frame, whether it is a text delta (never kept in a
 * result, first dropped under memory pressure). The fast test must say exactly what the rule says:
 * a method `item/<type>/<last>` whose last segment is `delta` or ends in `Delta`.
 */
import { deltaItemType, isTextDelta } from '../../src/protocol/items';

/** The rule, written plainly. */
function byTheRule(method: string): string | null {
  const parts = method.split('/');
  if (parts.length !== 3 || parts[0] !== 'item' || parts[1] === '') return null;
  const last = parts[2]!;
  return last === 'delta' || last.endsWith('Delta') ? parts[1]! : null;
}

// Every notification method of the pinned protocol, and near misses.
const METHODS = [
  'command/exec/outputDelta',
  'item/agentMessage/delta',
  'item/autoApprovalReview/completed',
  'item/commandExecution/outputDelta',
  'item/commandExecution/terminalInteraction',
  'item/completed',
  'item/fileChange/outputDelta',
  'item/fileChange/patchUpdated',
  'item/mcpToolCall/progress',
  'item/plan/delta',
  'item/reasoning/summaryPartAdded',
  'item/reasoning/summaryTextDelta',
  'item/reasoning/textDelta',
  'item/started',
  'process/outputDelta',
  'thread/realtime/item/transcript/delta',
  'thread/realtime/outputAudio/delta',
  'thread/tokenUsage/updated',
  'turn/completed',
  'error',
  'item/x/delta',
  'item//delta',
  'item//outputDelta',
  'item/a/b/delta',
  'item/agentMessage/xdelta',
  'item/agentMessage/Delta',
  'item/agentMessage/deltas',
  'items/agentMessage/delta',
  'item/agentMessage/adelta',
  'item/agentMessage/elta',
  'item/delta',
  '',
];

describe('isTextDelta and deltaItemType', () => {
  it.each(METHODS)('%j: as the rule says', (method) => {
    expect(deltaItemType(method)).toBe(byTheRule(method));
    expect(isTextDelta(method)).toBe(byTheRule(method) !== null);
  });

  it('names the streamed item types of the pinned protocol', () => {
    const types = METHODS.map(deltaItemType).filter((t) => t !== null);
    expect(types).toEqual(['agentMessage', 'commandExecution', 'fileChange', 'plan', 'reasoning', 'reasoning', 'x', 'agentMessage']);
  });

  it('an empty method is no text delta, also before any delta was seen (the remembered method starts as none)', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../src/protocol/items') as typeof import('../../src/protocol/items');
      expect(fresh.deltaItemType('')).toBeNull();
    });
  });

  it('runs of one method, interleaved with others, keep their answers (the last delta method is remembered)', () => {
    // Methods built at run time, as JSON.parse gives them: equal text, distinct strings.
    const fresh = (m: string) => [...m].join('');
    const seq = [
      'item/plan/delta',
      'item/plan/delta',
      'item/completed',
      'item/plan/delta',
      'item/reasoning/textDelta',
      'x',
      'item/plan/delta',
    ];
    for (const method of [...seq, ...seq.reverse()].map(fresh)) expect(deltaItemType(method)).toBe(byTheRule(method));
  });
});
