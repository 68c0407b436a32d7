/** Maps the public option objects to protocol params: omitted keys are not sent, `null` is. */
import type { ThreadConfig, TurnOverrides } from '../models';

const THREAD_KEYS: readonly (keyof ThreadConfig)[] = [
  'cwd',
  'baseInstructions',
  'developerInstructions',
  'model',
  'modelProvider',
  'approvalPolicy',
  'sandbox',
  'personality',
  'ephemeral',
  'config',
  'environments',
];
const TURN_KEYS: readonly (keyof TurnOverrides)[] = [
  'cwd',
  'model',
  'effort',
  'summary',
  'sandboxPolicy',
  'personality',
  'approvalPolicy',
  'outputSchema',
  'environments',
];

function pick(source: object | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!source) return out;
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export const threadConfigParams = (config?: ThreadConfig): Record<string, unknown> => pick(config, THREAD_KEYS);
export const turnOverrideParams = (overrides?: TurnOverrides): Record<string, unknown> => pick(overrides, TURN_KEYS);

/** Drops keys whose value is undefined (explicit nulls stay). */
export function compact<T extends Record<string, unknown>>(params: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = v;
  return out as T;
}
