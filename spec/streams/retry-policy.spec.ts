/** Which methods are retried after -32001 by default: those that only read. */
import { isSafeToRetry } from '../../src/streams/retry-policy';

describe('isSafeToRetry', () => {
  it.each([
    ['model/list', true],
    ['thread/list', true],
    ['thread/read', true],
    ['thread/turns/list', true],
    ['config/get', true],
    ['account/status', true],
    ['list', true],
    ['turn/start', false],
    ['thread/start', false],
    ['thread/unlist', false],
    ['thread/listing', false],
    ['thread/readme', false],
    ['config/get/x', false],
    ['turn/interrupt', false],
    ['', false],
  ])('%j → %s', (method, safe) => {
    expect(isSafeToRetry(method)).toBe(safe);
  });
});
