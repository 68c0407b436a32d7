/**
 * The relay's method policy: every frame a browser sends is shown to it before anything goes
 * upstream, and it allows, refuses or rewrites the frame. `relayPolicy()` builds the default one:
 * host-level methods refused (see `RELAY_METHOD_RULES`), thread settings pinned, host paths kept
 * within the backend's roots.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import type { JsonRpcId } from '../protocol/messages';
import { RELAY_METHOD_RULES, type RelayMethodRule } from './method-rules';

/** Who is on the other end of a relayed connection, as the token check named them. */
export interface RelayIdentity {
  /** The user the token belongs to (`'default'` for the relay's single token). */
  readonly user: string;
  /** Anything else the token check returned about them (roles, a tenant). */
  readonly [key: string]: unknown;
}

/** One relayed connection, as the policy and the upstream factory see it. */
export interface RelayConnection {
  /** The relay's number for this connection (as in `RelayEvent`s). */
  readonly id: number;
  /** Who connected. */
  readonly identity: RelayIdentity;
  /** The HTTP upgrade request the browser connected with (headers, remote address). */
  readonly request: http.IncomingMessage;
  /** The page's Origin, or null for a client that sent none. */
  readonly origin: string | null;
}

/** One frame from the browser, parsed. */
export interface RelayFrame {
  /** A request (method and id), a notification (method, no id) or an answer to a server request (id, no method). */
  readonly kind: 'request' | 'notification' | 'response';
  /** The method of a request or notification; null for a response. */
  readonly method: string | null;
  /** The id of a request or response; null for a notification. */
  readonly id: JsonRpcId | null;
  /** The frame's `params` (requests, notifications), undefined when it has none. */
  readonly params: unknown;
}

/** What the policy decided about one frame. */
export type RelayDecision =
  | {
      /** Send it upstream as parsed. */
      readonly action: 'allow';
    }
  | {
      /** Send nothing upstream; a request gets a JSON-RPC error (`RELAY_REFUSED_CODE`) saying `reason`. */
      readonly action: 'refuse';
      /** Why, for the browser's error answer and the relay's `denied` event. */
      readonly reason: string;
    }
  | {
      /** Send it upstream with `params` instead. */
      readonly action: 'rewrite';
      /** The params to send in place of the browser's. */
      readonly params: unknown;
    };

/**
 * Decides each browser frame. Synchronous, so frames keep their order; a policy that throws
 * refuses the frame (and the relay reports it).
 */
export type RelayPolicy = (frame: RelayFrame, connection: RelayConnection) => RelayDecision;

/** A sandbox mode of the protocol (`SandboxMode`). */
export type RelaySandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

/** An approval policy of the protocol by kind (`AskForApproval`; `granular` for the object form). */
export type RelayApprovalPolicy = 'untrusted' | 'on-request' | 'never' | 'granular';

/** How the default policy may be widened. Every field is optional; the defaults are the safe ones. */
export interface RelayPolicyOptions {
  /**
   * Directories a browser's threads may work in and whose files its input may name: a `cwd`, a
   * writable root or an input path outside them is refused (symbolic links resolved). The first is
   * the `cwd` pinned on `thread/start` and `thread/fork` when the browser names none. Per connection
   * with a function (each user their own workspace). Default none: a browser may name no host path,
   * and its threads run in the app-server's own working directory.
   */
  readonly roots?: readonly string[] | ((connection: RelayConnection) => readonly string[]);
  /**
   * Sandbox modes a browser may choose; the first is pinned when it chooses none (also on a turn's
   * `sandboxPolicy`). Default `['read-only']`.
   */
  readonly sandbox?: readonly RelaySandboxMode[];
  /**
   * Approval policies a browser may choose; the first is pinned when it chooses none. Default
   * `['never']`: with any other, the model can ask to run a command outside the sandbox and the
   * browser can approve it, so allow one only for users you would give a shell on the host.
   */
  readonly approvalPolicies?: readonly RelayApprovalPolicy[];
  /** A turn's `sandboxPolicy` may turn network access on. Default false. */
  readonly networkAccess?: boolean;
  /** Thread `config` overrides (any config key: MCP servers, providers, shell) are allowed. Default false. */
  readonly configOverrides?: boolean;
  /** `initialize` may ask for the experimental API (experimental methods and fields). Default false. */
  readonly experimentalApi?: boolean;
  /** Methods allowed although the default refuses them (e.g. `'config/read'`), or methods newer than the pinned protocol. */
  readonly allowMethods?: readonly string[];
}

/** The JSON-RPC error code of a request the relay's policy refused. */
export const RELAY_REFUSED_CODE = -32040;

const ALLOW: RelayDecision = { action: 'allow' };
const refuse = (reason: string): RelayDecision => ({ action: 'refuse', reason });

/** Client notifications the default policy lets through. */
const NOTIFICATIONS = new Set(['initialized']);

/** The default policy, widened as `options` says (see `RelayPolicyOptions` and the README's relay section). */
export function relayPolicy(options: RelayPolicyOptions = {}): RelayPolicy {
  const sandbox = options.sandbox ?? ['read-only'];
  const approvals = options.approvalPolicies ?? ['never'];
  if (sandbox.length === 0 || approvals.length === 0)
    throw new TypeError('relayPolicy: sandbox and approvalPolicies need at least one value');
  const allowed = new Set(options.allowMethods ?? []);
  const rules = RELAY_METHOD_RULES as Readonly<Record<string, RelayMethodRule>>;
  const settings = { sandbox, approvals, networkAccess: options.networkAccess === true, config: options.configOverrides === true };

  return (frame, connection) => {
    if (frame.kind === 'response') return ALLOW;
    const method = frame.method!;
    if (frame.kind === 'notification')
      return NOTIFICATIONS.has(method) || allowed.has(method) ? ALLOW : refuse(`notification '${method}' is not allowed`);
    const rule = Object.hasOwn(rules, method) ? rules[method]! : null;
    if (allowed.has(method) && rule !== 'thread' && rule !== 'turn' && rule !== 'input') return ALLOW;
    if (rule === null) return refuse(`'${method}' is not a method of the pinned protocol`);
    if (rule === 'allow') return ALLOW;
    if (rule === 'deny')
      return refuse(`'${method}' acts on the relay's host and is not allowed (RelayPolicyOptions.allowMethods widens it)`);
    const params = isRecord(frame.params) ? frame.params : {};
    if (rule === 'initialize') {
      const caps = params.capabilities as { experimentalApi?: unknown } | null | undefined;
      return caps?.experimentalApi === true && options.experimentalApi !== true
        ? refuse('the experimental API is not allowed (RelayPolicyOptions.experimentalApi widens it)')
        : ALLOW;
    }
    const roots = new Roots(typeof options.roots === 'function' ? options.roots(connection) : (options.roots ?? []));
    if (typeof rule === 'object') return checkPathFields(params, rule.paths, roots) ?? ALLOW;
    if (rule === 'input') return checkInput(params.input, roots) ?? ALLOW;
    if (rule === 'turn') return checkInput(params.input, roots) ?? checkTurn(params, roots, settings) ?? ALLOW;
    return checkThread(method, params, roots, settings);
  };
}

interface Settings {
  readonly sandbox: readonly RelaySandboxMode[];
  readonly approvals: readonly RelayApprovalPolicy[];
  readonly networkAccess: boolean;
  readonly config: boolean;
}

/** `thread/start`, `thread/resume`, `thread/fork`: checked, then the unnamed settings pinned. */
function checkThread(method: string, params: Record<string, unknown>, roots: Roots, s: Settings): RelayDecision {
  const problem =
    checkCwd(params.cwd, roots) ??
    checkConfig(params.config, s) ??
    (params.sandbox == null || s.sandbox.includes(params.sandbox as RelaySandboxMode)
      ? null
      : notAllowed('sandbox', params.sandbox, s.sandbox)) ??
    checkApproval(params.approvalPolicy, s);
  if (problem) return problem;
  const pinned: Record<string, unknown> = { ...params };
  pinned.sandbox ??= s.sandbox[0];
  pinned.approvalPolicy ??= s.approvals[0] === 'granular' ? undefined : s.approvals[0];
  if (pinned.approvalPolicy === undefined) delete pinned.approvalPolicy;
  if (pinned.cwd == null && method !== 'thread/resume' && roots.first !== null) pinned.cwd = roots.first;
  return { action: 'rewrite', params: pinned };
}

/** A turn's overrides: the same bounds as a thread's (nothing pinned: the thread's settings hold). */
function checkTurn(params: Record<string, unknown>, roots: Roots, s: Settings): RelayDecision | null {
  const policy = params.sandboxPolicy as { type?: unknown; writableRoots?: unknown; networkAccess?: unknown } | null | undefined;
  if (policy != null) {
    const mode = SANDBOX_MODES[String(policy.type)];
    if (!mode || !s.sandbox.includes(mode)) return notAllowed('sandboxPolicy', policy.type, s.sandbox);
    if (policy.networkAccess !== undefined && policy.networkAccess !== false && !s.networkAccess)
      return refuse('network access is not allowed (RelayPolicyOptions.networkAccess widens it)');
    const problem = checkPathList(policy.writableRoots, 'sandboxPolicy.writableRoots', roots);
    if (problem) return problem;
  }
  return checkCwd(params.cwd, roots) ?? checkApproval(params.approvalPolicy, s);
}

const SANDBOX_MODES: Readonly<Record<string, RelaySandboxMode>> = {
  readOnly: 'read-only',
  workspaceWrite: 'workspace-write',
  dangerFullAccess: 'danger-full-access',
};

function checkApproval(value: unknown, s: Settings): RelayDecision | null {
  if (value == null) return null;
  const kind = typeof value === 'object' ? 'granular' : String(value);
  return s.approvals.includes(kind as RelayApprovalPolicy) ? null : notAllowed('approvalPolicy', kind, s.approvals);
}

function checkConfig(value: unknown, s: Settings): RelayDecision | null {
  if (value == null || s.config || (isRecord(value) && Object.keys(value).length === 0)) return null;
  return refuse('config overrides are not allowed (RelayPolicyOptions.configOverrides widens them)');
}

function checkCwd(value: unknown, roots: Roots): RelayDecision | null {
  return value == null ? null : checkPath(value, 'cwd', roots);
}

/** Input items that name a host file: it must lie within the roots. */
function checkInput(input: unknown, roots: Roots): RelayDecision | null {
  if (!Array.isArray(input)) return null;
  for (const item of input as { type?: unknown; path?: unknown }[]) {
    if (!isRecord(item) || item.path === undefined) continue;
    // A mention of an app or a plugin (`app://…`) names no file.
    if (item.type === 'mention' && typeof item.path === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(item.path)) continue;
    const problem = checkPath(item.path, `input ${String(item.type)} path`, roots);
    if (problem) return problem;
  }
  return null;
}

function checkPathFields(params: Record<string, unknown>, fields: readonly string[], roots: Roots): RelayDecision | null {
  for (const field of fields) {
    const value = params[field];
    const problem = Array.isArray(value) ? checkPathList(value, field, roots) : value == null ? null : checkPath(value, field, roots);
    if (problem) return problem;
  }
  return null;
}

function checkPathList(value: unknown, field: string, roots: Roots): RelayDecision | null {
  if (value == null) return null;
  if (!Array.isArray(value)) return refuse(`${field} must be a list of paths`);
  for (const p of value) {
    const problem = checkPath(p, field, roots);
    if (problem) return problem;
  }
  return null;
}

function checkPath(value: unknown, field: string, roots: Roots): RelayDecision | null {
  if (typeof value !== 'string' || !path.isAbsolute(value)) return refuse(`${field} must be an absolute path within the relay's roots`);
  return roots.contains(value) ? null : refuse(`${field} is outside the relay's roots`);
}

function notAllowed(field: string, value: unknown, allowed: readonly string[]): RelayDecision {
  return refuse(`${field} '${String(value)}' is not allowed (allowed: ${allowed.join(', ')})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The roots of one connection, with symbolic links resolved (a link inside a root may point out of it). */
class Roots {
  private readonly real: string[];
  /** The first root as given, or null: the pinned `cwd`. */
  readonly first: string | null;

  constructor(roots: readonly string[]) {
    this.first = roots[0] ?? null;
    this.real = roots.map((r) => realPath(path.resolve(r)));
  }

  contains(p: string): boolean {
    const real = realPath(path.resolve(p));
    return this.real.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
  }
}

/** The real path of `p`: its nearest existing ancestor resolved, the rest appended. */
function realPath(p: string): string {
  const rest: string[] = [];
  let at = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return p;
      rest.push(path.basename(at));
      at = parent;
    }
  }
}
