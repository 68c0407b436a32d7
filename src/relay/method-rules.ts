/**
 * What the relay's default policy does with each client request method of the pinned protocol.
 * Typed as a record over every method, so a protocol update that adds one fails to compile until
 * somebody decides it. The README's relay section lists the same decisions.
 *
 * - `allow`: acts only inside the connection's own threads and `CODEX_HOME`.
 * - `deny`: acts on the host outside a turn's sandbox (runs commands, reads or writes files, changes
 *   config, account or plugins, calls MCP servers directly), or hands out host secrets.
 * - `thread`: starts or reopens a thread: cwd within the roots, sandbox and approval policy pinned.
 * - `turn`: starts a turn: its overrides and the host paths of its input checked like a thread's.
 * - `input`: adds input to a running turn: the host paths of that input checked.
 * - `initialize`: the handshake: the experimental API only when the backend allows it.
 * - `{ paths }`: allowed when every host path in these params fields lies within the roots.
 */
import type { ClientRequestMap } from '../protocol/method-map.generated';

/** One method's rule (see the file's comment). */
export type RelayMethodRule =
  | 'allow'
  | 'deny'
  | 'thread'
  | 'turn'
  | 'input'
  | 'initialize'
  | {
      /** The params fields that hold host paths; each path must lie within the roots. */
      readonly paths: readonly string[];
    };

const DENY = 'deny';
const ALLOW = 'allow';

/** The default policy's rule for every client request method of the pinned protocol. */
export const RELAY_METHOD_RULES: { readonly [M in keyof ClientRequestMap]: RelayMethodRule } = {
  initialize: 'initialize',
  'thread/start': 'thread',
  'thread/resume': 'thread',
  'thread/fork': 'thread',
  'thread/archive': ALLOW,
  'thread/delete': ALLOW,
  'thread/unsubscribe': ALLOW,
  'thread/name/set': ALLOW,
  'thread/goal/set': ALLOW,
  'thread/goal/get': ALLOW,
  'thread/goal/clear': ALLOW,
  'thread/metadata/update': ALLOW,
  // An attachment's payload is opaque here and may name host files.
  'thread/attachment/add': DENY,
  'thread/attachment/list': ALLOW,
  'thread/attachmentOwner/list': ALLOW,
  'thread/attachment/remove': ALLOW,
  'thread/section/move': ALLOW,
  'thread/unarchive': ALLOW,
  'thread/compact/start': ALLOW,
  // Runs unsandboxed with full access (the protocol says so).
  'thread/shellCommand': DENY,
  // Overrides a safety reviewer's denial: the backend's call, not the browser's.
  'thread/approveGuardianDeniedAction': DENY,
  'thread/revert': ALLOW,
  'thread/list': ALLOW,
  'threadSection/list': ALLOW,
  'threadSection/create': ALLOW,
  'threadSection/update': ALLOW,
  'threadSection/delete': ALLOW,
  'thread/loaded/list': ALLOW,
  'thread/read': ALLOW,
  'thread/turns/list': ALLOW,
  'thread/items/list': ALLOW,
  'thread/inject_items': ALLOW,
  'skills/list': { paths: ['cwds'] },
  'skills/extraRoots/set': DENY,
  'hooks/list': { paths: ['cwds'] },
  'marketplace/add': DENY,
  'marketplace/remove': DENY,
  'marketplace/upgrade': DENY,
  'plugin/list': DENY,
  'plugin/installed': DENY,
  'plugin/reconcile': DENY,
  'plugin/read': DENY,
  'plugin/skill/read': DENY,
  'plugin/share/save': DENY,
  'plugin/share/updateTargets': DENY,
  'plugin/share/list': DENY,
  'plugin/share/checkout': DENY,
  'plugin/share/delete': DENY,
  // Connectors act with the host's account.
  'app/read': DENY,
  'app/list': DENY,
  'app/installed': DENY,
  'fs/readFile': DENY,
  'fs/writeFile': DENY,
  'fs/createDirectory': DENY,
  'fs/getMetadata': DENY,
  'fs/readDirectory': DENY,
  'fs/remove': DENY,
  'fs/copy': DENY,
  'fs/watch': DENY,
  'fs/unwatch': DENY,
  'skills/config/write': DENY,
  'plugin/install': DENY,
  'plugin/uninstall': DENY,
  'turn/start': 'turn',
  'turn/steer': 'input',
  'turn/interrupt': ALLOW,
  'review/start': ALLOW,
  'model/list': ALLOW,
  'account/gatewayOAuth/read': DENY,
  'account/gatewayOAuth/login': DENY,
  'account/gatewayOAuth/cancel': DENY,
  // Provider entries can carry headers and endpoints of the host's configuration.
  'modelProvider/list': DENY,
  'modelProvider/config/write': DENY,
  'modelProvider/default/set': DENY,
  'modelProvider/capabilities/read': ALLOW,
  'experimentalFeature/list': ALLOW,
  'permissionProfile/list': { paths: ['cwd'] },
  'experimentalFeature/enablement/set': DENY,
  'mcpServer/oauth/login': DENY,
  'config/mcpServer/reload': DENY,
  'mcpServerStatus/list': ALLOW,
  // Outside a turn: an MCP server acts with the host's credentials, unsandboxed by codex.
  'mcpServer/resource/read': DENY,
  'mcpServer/tool/call': DENY,
  'windowsSandbox/setupStart': DENY,
  'windowsSandbox/readiness': ALLOW,
  'account/login/start': DENY,
  'account/login/cancel': DENY,
  'account/logout': DENY,
  'account/securitySetup/read': DENY,
  'account/rateLimits/read': DENY,
  'account/rateLimitResetCredit/consume': DENY,
  'account/usage/read': DENY,
  'account/workspaceMessages/read': DENY,
  'account/sendAddCreditsNudgeEmail': DENY,
  // Uploads the host's logs; saves files on the host.
  'feedback/upload': DENY,
  'feedback/save': DENY,
  'command/exec': DENY,
  'command/exec/write': DENY,
  'command/exec/terminate': DENY,
  'command/exec/resize': DENY,
  // The host's effective config can hold secrets (MCP server env, provider headers).
  'config/read': DENY,
  'externalAgentConfig/detect': DENY,
  'externalAgentConfig/import': DENY,
  'externalAgentConfig/import/recordHistory': DENY,
  'externalAgentConfig/import/readHistories': DENY,
  'config/value/write': DENY,
  'config/batchWrite': DENY,
  'configRequirements/read': ALLOW,
  'account/read': DENY,
  // Reads a rollout by host path.
  getConversationSummary: DENY,
  gitDiffToRemote: { paths: ['cwd'] },
  // Can return the host's auth token.
  getAuthStatus: DENY,
  fuzzyFileSearch: { paths: ['roots'] },
  // Experimental. Points the host at an exec-server (a URL and its token): the backend's call.
  'environment/add': DENY,
  // Experimental: environments are the backend's; their status and shell are not the browser's business.
  'environment/status': DENY,
  'environment/info': DENY,
  // Experimental: changes a thread's cwd, sandbox, approvals and placement, unchecked by the thread rule.
  'thread/settings/update': DENY,
};
