import { compareVersions } from './server-version';

it('compareVersions orders x.y.z numerically and ignores pre-release tags', () => {
  expect(compareVersions('0.171.0', '0.171.0')).toBe(0);
  expect(compareVersions('0.169.0', '0.171.0')).toBe(-1);
  expect(compareVersions('0.171.10', '0.171.9')).toBe(1);
  expect(compareVersions('1.0.0-alpha.3', '1.0.0')).toBe(0);
});
