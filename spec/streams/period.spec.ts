import { periodOf } from '../../src/streams/transport-base';

describe('periodOf (heartbeatMs on the WebSocket transport and the relay)', () => {
  it('reads undefined as the default, null as off, and a period as itself', () => {
    expect(periodOf(undefined, 30_000)).toBe(30_000);
    expect(periodOf(null, 30_000)).toBeNull();
    expect(periodOf(5_000, 30_000)).toBe(5_000);
  });

  it('reads 0 (the relay’s old spelling of off, deprecated) as off, never as a period of 0', () => {
    expect(periodOf(0, 30_000)).toBeNull();
    expect(periodOf(-1, 30_000)).toBeNull();
  });
});
