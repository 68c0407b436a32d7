/**
 * `codex-rx/testing/node`: Node-only test helpers. They run the REAL `codex app-server` offline
 * against a scripted stand-in for the model (no account, no network), for end-to-end tests, demos
 * and benchmarks. Kept apart from `codex-rx/testing`, which stays browser-safe.
 */
export { startOfflineCodex } from './real-server';
export type { OfflineCodex, OfflineCodexOptions, OfflineExecServer } from './real-server';
export { addFilePatch, defaultScript, parseModelRequest, startScriptedModel } from './scripted-model';
export type { ModelReply, ModelRequest, ModelScript, ReplyItem, ScriptedModel } from './scripted-model';
export { codexConfigToml, createCodexHome, mockModelCatalog, resolveCodexCommand, resolveCodexLaunch } from './codex-home';
export type { CodexHome, CodexHomeOptions, CodexLaunch } from './codex-home';
export { fakeStdioOptionsFromArgs, serveFakeAppServerOverStdio } from './fake-server/stdio';
export type { FakeStdioServerOptions } from './fake-server/stdio';
