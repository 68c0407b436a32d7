/**
 * `codex-rx/testing`: helpers for users' own (marble) tests. Runs anywhere RxJS runs; the Node-only
 * helpers (scripted model, throwaway CODEX_HOME) are exported elsewhere.
 */
export * from './in-memory-transport';
export * from './frames';
export * from './virtual-time';
export * from './fake-server';
export * from './recording';
export * from './replay-transport';
export { UNRECORDED_REQUEST_CODE } from './replay-errors';
export { scrubSecrets } from '../streams/scrub-secrets';
export * from './replay-frames';
