/**
 * `codex-rx/angular`: codex-rx for Angular (19 and later; no decorators, no Zone.js needed).
 * `provideCodex(...)` gives the app its client, `injectCodex()` reads it, and the signal helpers
 * (`threadSignals`, `threadViewResource`, `chatTurn`) turn a thread's live view and a turn into signals.
 */
export { CODEX_CLIENT, injectCodex, provideCodex } from './provide-codex';
export type { CodexProviderConfig } from './provide-codex';
export { threadSignals, threadViewResource } from './thread-signals';
export type { CodexSignalOptions, ThreadSignals } from './thread-signals';
export { chatTurn } from './chat-turn';
export type { ChatTurn, ChatTurnStatus } from './chat-turn';
export { lastAgentText } from './view-text';
