/** Client-side tools: their specs for `thread/start`, and running a call (`item/tool/call`). */
import { catchError, defaultIfEmpty, map, type Observable, of, switchMap, take } from 'rxjs';
import { fromHandler } from '../operators/intercept-approvals';
import { describeValue } from '../protocol/describe';
import type { DynamicToolCallParams } from '../protocol/generated/v2/DynamicToolCallParams';
import type { DynamicToolCallResponse } from '../protocol/generated/v2/DynamicToolCallResponse';
import type { DynamicToolSpec } from '../protocol/generated/v2/DynamicToolSpec';
import type { StandardSchemaV1, ToolContext, ToolDefinition, ToolOutput } from '../tools';
import { toolFailure } from './request-handlers';

type AnyTool = ToolDefinition<any>;

const keyOf = (namespace: string | null | undefined, name: string) => (namespace ? `${namespace}\u0000${name}` : name);

/**
 * The tools of each thread this client started with `tools`: the one record of them. A call names
 * its thread, so a tool runs only for the thread it was given to.
 */
export class ClientTools {
  private readonly byThread = new Map<string, Map<string, AnyTool>>();

  constructor(private readonly experimentalApi: boolean) {}

  /**
   * The protocol specs of `tools` (functions, and namespaces grouping those that name one).
   * `TypeError` when the client lacks `experimentalApi`, or a tool is malformed or named twice.
   */
  specs(tools: readonly AnyTool[]): DynamicToolSpec[] {
    if (!this.experimentalApi) {
      throw new TypeError('client-side tools need the experimental API: create the client with ClientOptions.experimentalApi: true');
    }
    const seen = new Set<string>();
    const specs: DynamicToolSpec[] = [];
    const namespaces = new Map<string, Extract<DynamicToolSpec, { type: 'namespace' }>>();
    for (const tool of tools) {
      if (typeof tool?.name !== 'string' || tool.name === '' || typeof tool.execute !== 'function') {
        throw new TypeError(`a tool needs a name and an execute function, got ${describeValue(tool)}`);
      }
      const key = keyOf(tool.namespace, tool.name);
      if (seen.has(key)) throw new TypeError(`tool '${tool.namespace ? `${tool.namespace}.` : ''}${tool.name}' is defined twice`);
      seen.add(key);
      const fn = { name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema ?? { type: 'object' } };
      if (!tool.namespace) {
        specs.push({ type: 'function', ...fn });
        continue;
      }
      let ns = namespaces.get(tool.namespace);
      if (!ns) {
        ns = { type: 'namespace', name: tool.namespace, description: `Tools of ${tool.namespace}`, tools: [] };
        namespaces.set(tool.namespace, ns);
        specs.push(ns);
      }
      ns.tools.push({ type: 'function', ...fn });
    }
    return specs;
  }

  /** The thread was started with these tools. */
  add(threadId: string, tools: readonly AnyTool[]): void {
    this.byThread.set(threadId, new Map(tools.map((t) => [keyOf(t.namespace, t.name), t])));
  }

  /** True when thread `threadId` was started with the tool `name` (in `namespace`). */
  has(threadId: string, namespace: string | null | undefined, name: string): boolean {
    return this.byThread.get(threadId)?.has(keyOf(namespace, name)) ?? false;
  }

  /** Forgets every thread's tools (the client closed). */
  clear(): void {
    this.byThread.clear();
  }

  /**
   * Runs a call of a tool the thread has (see `has`): validation, then `execute`. Emits the answer
   * once: a failure (`success: false`, the error's or the validator's message) when either fails.
   */
  call(params: DynamicToolCallParams, signal: AbortSignal): Observable<DynamicToolCallResponse> {
    const tool = this.byThread.get(params.threadId)!.get(keyOf(params.namespace, params.tool))!;
    const ctx: ToolContext = { threadId: params.threadId, turnId: params.turnId, callId: params.callId, signal };
    return validate(tool.validator, params.arguments).pipe(
      switchMap((checked) =>
        'issues' in checked
          ? of(toolFailure(`invalid arguments for tool '${tool.name}': ${checked.issues}`))
          : fromHandler(() => tool.execute(checked.value, ctx)).pipe(
              take(1),
              map((output) => toolResponse(output)),
            ),
      ),
      defaultIfEmpty(toolFailure(`tool '${tool.name}' gave no output`)),
      catchError((err: unknown) => of(toolFailure((err as Error)?.message ?? describeValue(err)))),
    );
  }
}

/** The arguments as the validator passes them (or as they came, without one), or its issues as text. */
function validate(validator: StandardSchemaV1 | undefined, args: unknown): Observable<{ value: unknown } | { issues: string }> {
  if (!validator) return of({ value: args });
  return fromHandler(() => validator['~standard'].validate(args)).pipe(
    take(1),
    map((result) => (result.issues ? { issues: result.issues.map(describeIssue).join('; ') } : { value: result.value })),
  );
}

function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** What `execute` gave, as the protocol's answer; `TypeError` for anything else. */
function toolResponse(output: ToolOutput): DynamicToolCallResponse {
  if (typeof output === 'string') return { contentItems: [{ type: 'inputText', text: output }], success: true };
  if (Array.isArray(output)) return { contentItems: [...output], success: true };
  const whole = output as DynamicToolCallResponse | null;
  if (whole && Array.isArray(whole.contentItems)) return { contentItems: whole.contentItems, success: whole.success !== false };
  throw new TypeError(`a tool must return a string, content items or { contentItems, success }; got ${describeValue(output)}`);
}
