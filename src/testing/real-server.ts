/**
 * Node only: runs the real `codex app-server` offline against a scripted model, for end-to-end
 * tests, benchmarks and the demo. Not exported from `codex-rx/testing` (which stays browser-safe).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexClient } from '../client';
import type { StdioOptions } from '../options';
import { createCodexHome, CodexHome, CodexHomeOptions, resolveCodexLaunch } from './codex-home';
import { type OfflineExecServer, startExecServer } from './exec-servers';
import { defaultScript, ModelScript, ScriptedModel, startScriptedModel } from './scripted-model';

export type { OfflineExecServer } from './exec-servers';

/** Options of `startOfflineCodex`: the throwaway home's settings and the model's script. */
export interface OfflineCodexOptions extends Omit<CodexHomeOptions, 'modelUrl'> {
  /** The model's script. Default: `defaultScript` (directives in the user's text). */
  script?: ModelScript;
  /**
   * How many real offline `codex exec-server`s to start beside it (remote environments, an
   * experimental API): each on a loopback port and in a workspace of its own. Default 0.
   */
  execServers?: number;
  /** Whether each exec-server asks for a capability token of its own (`OfflineExecServer.token`). Default false. */
  execServerTokens?: boolean;
}

/** A scripted model plus a throwaway CODEX_HOME and workspace, ready to launch servers against. */
export interface OfflineCodex {
  /** The scripted model the server talks to: its requests, and its URL. */
  readonly model: ScriptedModel;
  /** The throwaway `CODEX_HOME` the server runs with. */
  readonly home: CodexHome;
  /** A fresh empty directory to use as the threads' cwd. */
  readonly workspace: string;
  /** argv and environment that start the real app-server against this model. */
  readonly command: string[];
  /** The environment to start it with: the binary's own variables and `CODEX_HOME`. */
  readonly env: Record<string, string>;
  /** The version of the `@openai/codex` it runs (see `resolveCodexLaunch`; `CODEX_RX_CODEX_PREFIX` picks another). */
  readonly serverVersion: string;
  /** The exec-servers started with `execServers` (ids `exec-1`, `exec-2`, ...), stopped by `dispose()`. */
  readonly execServers: readonly OfflineExecServer[];
  /** A stdio client (unstarted) for this server; closed by `dispose()` too. */
  client(options?: Omit<StdioOptions, 'command'> & { extraArgs?: string[] }): CodexClient;
  /** Closes every client made here, the model, and removes the directories. */
  dispose(): Promise<void>;
}

/** The codex binary's argv without the `app-server` subcommand that `resolveCodexLaunch` ends it with. */
const codexCommand = (appServer: readonly string[]): string[] =>
  appServer[appServer.length - 1] === 'app-server' ? appServer.slice(0, -1) : [...appServer];

export async function startOfflineCodex(options: OfflineCodexOptions = {}): Promise<OfflineCodex> {
  // First what can fail without side effects: no codex, nothing started and nothing left behind.
  const launch = resolveCodexLaunch();
  const model = await startScriptedModel({ script: options.script ?? defaultScript });
  let home: CodexHome | undefined;
  let workspace: string;
  try {
    home = await createCodexHome({ ...options, modelUrl: model.url });
    workspace = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'codex-rx-ws-')));
  } catch (err) {
    await model.close();
    await home?.cleanup();
    throw err;
  }
  const env = { ...launch.env, ...home.env };
  const clients: CodexClient[] = [];
  const execServers: Array<Awaited<ReturnType<typeof startExecServer>>> = [];
  try {
    for (let i = 1; i <= (options.execServers ?? 0); i++) {
      execServers.push(
        await startExecServer({
          command: codexCommand(launch.command),
          env,
          id: `exec-${i}`,
          withToken: options.execServerTokens === true,
        }),
      );
    }
  } catch (err) {
    await Promise.all(execServers.map((e) => e.dispose()));
    await model.close();
    await home.cleanup();
    fs.rmSync(workspace, { recursive: true, force: true });
    throw err;
  }
  return {
    model,
    home,
    workspace,
    command: launch.command,
    env,
    serverVersion: launch.version,
    execServers,
    client(clientOptions = {}) {
      const { extraArgs = [], ...rest } = clientOptions;
      const c = CodexClient.connectStdio({ command: [...launch.command, ...extraArgs], env, cwd: workspace, ...rest });
      clients.push(c);
      return c;
    },
    async dispose() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await Promise.all(execServers.map((e) => e.dispose()));
      await model.close();
      await home.cleanup();
      fs.rmSync(workspace, { recursive: true, force: true });
    },
  };
}
