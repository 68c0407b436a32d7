/**
 * Helpers to run the real `codex app-server` offline against a scripted model.
 *
 * The server is the `@openai/codex` installed with this package, or the one installed under the
 * directory in `CODEX_RX_CODEX_PREFIX` (`npm install --prefix DIR @openai/codex@latest`: what
 * `npm run test:latest` does to run the end-to-end specs against the newest server).
 *
 * Facts about codex-cli 0.169.0 (still true of 0.171.0) that shaped this file:
 * - The npm wrapper `@openai/codex/bin/codex.js` adds nothing to PATH: it only execs the native binary
 *   with CODEX_MANAGED_PACKAGE_ROOT / CODEX_MANAGED_BY_NPM set. The native binary finds its own
 *   `codex-path/rg` and `codex-resources/bwrap` via the `codex-package.json` next to `bin/`.
 * - `approval_policy = "untrusted"` in config.toml makes 0.169 exit at start; use "on-request"/"never".
 * - With `approval_policy = "on-request"` an `exec_command` with `sandbox_permissions: "require_escalated"`
 *   asks the client for approval; once accepted it runs outside the sandbox in the thread's `cwd`,
 *   so a `read-only` sandbox is enough for it to write a file there. Under `workspace-write` the escalated
 *   command still asks. apply_patch asks for approval under read-only (and, once accepted, can add files
 *   only in existing directories); under workspace-write patches inside the cwd apply without asking.
 * - The fallback metadata of an unknown model ("mock-model") has no apply_patch tool: a one-entry
 *   `model_catalog_json` (see mockModelCatalog) is needed to get it.
 * - Every start prints "Codex could not find bubblewrap on PATH" as a `configWarning` notification and the
 *   stderr line "could not create PATH aliases ... under temporary dir" when CODEX_HOME is in /tmp: harmless.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codexFromPackage, CODEX_PREFIX_ENV, type CodexLaunch } from '../streams/codex-binary';

export type { CodexLaunch } from '../streams/codex-binary';
export { CODEX_PREFIX_ENV } from '../streams/codex-binary';

/** What `createCodexHome` writes into the throwaway home's `config.toml`. */
export interface CodexHomeOptions {
  /** Base URL of the model, e.g. ScriptedModel.url (http://127.0.0.1:PORT/v1). */
  modelUrl: string;
  /** The server's `approval_policy`: `on-request` makes escalated commands and patches ask the client. Default `never`. */
  approvalPolicy?: 'never' | 'on-request';
  /** The server's `sandbox_mode`. Default `read-only`. */
  sandbox?: 'read-only' | 'workspace-write' | 'danger-full-access';
  /**
   * Inserted after the top-level keys and before the `[model_providers.mock]` / `[features]` tables,
   * so it may hold top-level keys and its own tables (but not those two tables again).
   */
  extraToml?: string;
  /**
   * Offer the model the `apply_patch` tool (default true). Needs a model catalog entry: with unknown
   * model metadata 0.169 falls back to a tool set without apply_patch.
   */
  applyPatchTool?: boolean;
  /** Extra `[features]` flags, merged over plugins/remote_plugin/apps/shell_snapshot = false (a login-shell snapshot per new thread costs seconds on a small machine). */
  features?: Record<string, boolean>;
}

/** A throwaway `CODEX_HOME` made by `createCodexHome`. */
export interface CodexHome {
  /** The directory (under the OS's temporary directory) that holds `config.toml`. */
  dir: string;
  /** CODEX_HOME plus variables that keep the server offline and quiet. */
  env: Record<string, string>;
  /** Removes the directory and everything the server wrote in it. */
  cleanup(): Promise<void>;
}

/**
 * Where to start the server for the offline harness: the `@openai/codex` package under `prefix`
 * (default: `CODEX_RX_CODEX_PREFIX`, else the one beside codex-rx), its native binary when installed.
 */
export function resolveCodexLaunch(prefix: string | undefined = process.env[CODEX_PREFIX_ENV] || undefined): CodexLaunch & {
  /** The version of the `@openai/codex` found (e.g. `0.171.0`). */
  version: string;
} {
  const launch = codexFromPackage(prefix);
  if (!launch) {
    const where = prefix ? ` under ${prefix} (${CODEX_PREFIX_ENV})` : ' beside codex-rx';
    const fix = prefix ? `npm install --prefix ${prefix} @openai/codex` : 'npm install --save-dev @openai/codex';
    throw new Error(`@openai/codex is not installed${where}: the offline harness runs its real app-server. Install it with \`${fix}\`.`);
  }
  return launch as CodexLaunch & { version: string };
}

/** Just the argv of resolveCodexLaunch(). */
export function resolveCodexCommand(): string[] {
  return resolveCodexLaunch().command;
}

const tomlString = (s: string): string => JSON.stringify(s);

/**
 * A one-model catalog for `model_catalog_json`. These are the fields 0.169 requires (found by trial);
 * `apply_patch_tool_type: "freeform"` adds apply_patch as a custom tool and `shell_type: "unified_exec"`
 * keeps the `exec_command` tool that the fallback metadata offers.
 */
export function mockModelCatalog(slug = 'mock-model'): object {
  return {
    models: [
      {
        slug,
        display_name: slug,
        description: 'Scripted test model',
        base_instructions: 'You are a scripted test model.',
        apply_patch_tool_type: 'freeform',
        shell_type: 'unified_exec',
        supported_reasoning_levels: [],
        visibility: 'list',
        supported_in_api: true,
        priority: 1,
        support_verbosity: false,
        truncation_policy: { mode: 'tokens', limit: 10000 },
        experimental_supported_tools: [],
        context_window: 272000,
      },
    ],
  };
}

/**
 * The `config.toml` text `createCodexHome` writes: the scripted model as the only provider (no
 * retries, no web search), the approval policy and sandbox of `options`, then `extraToml` and `features`.
 */
export function codexConfigToml(options: CodexHomeOptions, catalogPath?: string): string {
  return [
    'model = "mock-model"',
    'model_provider = "mock"',
    `approval_policy = ${tomlString(options.approvalPolicy ?? 'never')}`,
    `sandbox_mode = ${tomlString(options.sandbox ?? 'read-only')}`,
    // Keeps it from reaching the network at start or exposing a web tool.
    'web_search = "disabled"',
    catalogPath ? `model_catalog_json = ${tomlString(catalogPath)}` : '',
    '',
    options.extraToml ?? '',
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = ${tomlString(options.modelUrl)}`,
    'wire_api = "responses"',
    // A scripted failure must fail the turn at once, not be retried.
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
    '[features]',
    ...Object.entries({ plugins: false, remote_plugin: false, apps: false, shell_snapshot: false, ...options.features }).map(
      ([k, v]) => `${k} = ${v ? 'true' : 'false'}`,
    ),
    '',
  ].join('\n');
}

/** Creates a throwaway CODEX_HOME with a config.toml pointing at the scripted model. */
export async function createCodexHome(options: CodexHomeOptions): Promise<CodexHome> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codex-home-'));
  let catalogPath: string | undefined;
  if (options.applyPatchTool !== false) {
    catalogPath = path.join(dir, 'model-catalog.json');
    await fs.promises.writeFile(catalogPath, JSON.stringify(mockModelCatalog(), null, 2), 'utf8');
  }
  await fs.promises.writeFile(path.join(dir, 'config.toml'), codexConfigToml(options, catalogPath), 'utf8');
  return {
    dir,
    env: {
      CODEX_HOME: dir,
      RUST_LOG: process.env.RUST_LOG ?? 'error',
    },
    cleanup: async () => {
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
