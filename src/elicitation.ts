/**
 * MCP elicitation (`mcpServer/elicitation/request`) for the common case: an MCP server asks the
 * user to fill in a form, or to visit a URL. `elicitationHandler` turns two plain callbacks into
 * an `onServerRequest` handler; what it does not handle is declined.
 */
import { map, type Observable } from 'rxjs';
import type { ServerRequestContext, ServerRequestHandler } from './engine/request-handlers';
import { fromHandler } from './operators/intercept-approvals';
import type { JsonValue } from './protocol/generated/serde_json/JsonValue';
import type { McpElicitationSchema } from './protocol/generated/v2/McpElicitationSchema';
import type { McpServerElicitationRequestParams } from './protocol/generated/v2/McpServerElicitationRequestParams';
import type { McpServerElicitationRequestResponse } from './protocol/generated/v2/McpServerElicitationRequestResponse';

/** What an elicitation has in every mode. */
interface ElicitationBase extends ServerRequestContext {
  /** The thread it came during. */
  readonly threadId: string;
  /** The turn it came during, when the server could tell. */
  readonly turnId: string | null;
  /** The MCP server that asks. */
  readonly serverName: string;
  /** What to tell the user. */
  readonly message: string;
  /** The request's params as they came. */
  readonly raw: McpServerElicitationRequestParams;
}

/** Form mode: the user fills in `requestedSchema` (a flat object schema of primitive fields). */
export interface FormElicitation extends ElicitationBase {
  /** `form` (MCP), or the OpenAI form extension's `openai/form` / `openaiForm`. */
  readonly mode: 'form' | 'openai/form' | 'openaiForm';
  /** The form: MCP's object schema in `form` mode; the OpenAI form extension's schema otherwise. */
  readonly requestedSchema: McpElicitationSchema | JsonValue;
}

/** URL mode: the user visits `url` (to sign in, say) and comes back. */
export interface UrlElicitation extends ElicitationBase {
  /** Tells the modes apart: this one sends the user to a URL. */
  readonly mode: 'url';
  /** Where to send the user. */
  readonly url: string;
  /** The MCP server's id of this elicitation. */
  readonly elicitationId: string;
}

/**
 * The user's answer: `accept` (with the form's values in form mode), `decline`, or `cancel`
 * (dismissed without a choice).
 */
export type ElicitationAnswer =
  | {
      /** The user agreed (and, in form mode, filled in the form). */
      readonly action: 'accept';
      /** The form's values by field name (form mode); absent or null in URL mode. */
      readonly content?: { readonly [field: string]: JsonValue } | null;
    }
  | {
      /** `decline`: the user refused; `cancel`: the user dismissed it without a choice. */
      readonly action: 'decline' | 'cancel';
    };

type Answer = ElicitationAnswer | PromiseLike<ElicitationAnswer> | Observable<ElicitationAnswer>;

/** The callbacks of `elicitationHandler`, one per mode; a mode without one is declined. */
export interface ElicitationHandlers {
  /** Asks the user to fill in the form; answers `accept` with the values, `decline` or `cancel`. */
  form?(request: FormElicitation): Answer;
  /** Asks the user to visit the URL; answers `accept` once done, `decline` or `cancel`. */
  url?(request: UrlElicitation): Answer;
}

/**
 * An `mcpServer/elicitation/request` handler from one callback per mode:
 *
 * ```ts
 * client.onServerRequest(
 *   'mcpServer/elicitation/request',
 *   elicitationHandler({
 *     form: async ({ message, requestedSchema }) => ({ action: 'accept', content: await askUser(message, requestedSchema) }),
 *     url: async ({ url }) => ((await openInBrowser(url)) ? { action: 'accept' } : { action: 'cancel' }),
 *   }),
 * );
 * ```
 */
export function elicitationHandler(handlers: ElicitationHandlers): ServerRequestHandler<'mcpServer/elicitation/request'> {
  return (params, context) => {
    const base = {
      requestId: context.requestId,
      signal: context.signal,
      threadId: params.threadId,
      turnId: params.turnId,
      serverName: params.serverName,
      message: params.message,
      raw: params,
    };
    let answer: () => Answer;
    if (params.mode === 'url') {
      const url = handlers.url;
      if (!url) return decline;
      answer = () => url.call(handlers, { ...base, mode: 'url', url: params.url, elicitationId: params.elicitationId });
    } else {
      const form = handlers.form;
      if (!form) return decline;
      answer = () => form.call(handlers, { ...base, mode: params.mode, requestedSchema: params.requestedSchema });
    }
    return fromHandler(answer).pipe(map(toResponse));
  };
}

const decline: McpServerElicitationRequestResponse = { action: 'decline', content: null, _meta: null };

function toResponse(answer: ElicitationAnswer): McpServerElicitationRequestResponse {
  if (answer?.action === 'accept') return { action: 'accept', content: (answer.content as JsonValue | undefined) ?? null, _meta: null };
  if (answer?.action === 'decline' || answer?.action === 'cancel') return { action: answer.action, content: null, _meta: null };
  throw new TypeError(`an elicitation answer is { action: 'accept' | 'decline' | 'cancel' }, got ${JSON.stringify(answer)}`);
}
