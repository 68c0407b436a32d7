/** `onServerRequest` handlers, and the safe default answer of each server request method. */
import { type Observable, Subscription } from 'rxjs';
import { ErrorCodes, type JsonRpcErrorObject, type JsonRpcId } from '../protocol/messages';
import type { ServerRequestMethod, ServerRequestParams, ServerRequestResult } from '../protocol/server-messages';

/** What a server request handler gets besides the params. */
export interface ServerRequestContext {
  /** The JSON-RPC id of the server's request. */
  readonly requestId: JsonRpcId;
  /**
   * Aborts when the answer is no longer wanted: the request's turn ended or was interrupted, the
   * link it came on dropped, the handler timed out, or the client closed.
   */
  readonly signal: AbortSignal;
}

/**
 * Answers one server request method of the pinned protocol: gets its typed params, returns its
 * typed result (a value, a Promise, or an Observable whose first value counts). A throw, a
 * rejection or an error becomes a JSON-RPC error answer; no answer within `handlerTimeoutMs` (or
 * an Observable that completes empty) gets the method's default answer.
 */
export type ServerRequestHandler<M extends ServerRequestMethod> = (
  params: ServerRequestParams<M>,
  context: ServerRequestContext,
) => ServerRequestResult<M> | PromiseLike<ServerRequestResult<M>> | Observable<ServerRequestResult<M>>;

/** An answer to a server request: a result, or a JSON-RPC error. */
export type Reply = { result: unknown } | { error: JsonRpcErrorObject };

/**
 * The handlers registered with `onServerRequest`, per method. The newest registration of a method
 * answers; unsubscribing it gives the method back to the one before, or to the built-in answer.
 */
export class ServerRequestHandlers {
  private readonly byMethod = new Map<string, Array<ServerRequestHandler<any>>>();

  /** Makes `handler` the one that answers `method` until the returned subscription is unsubscribed. */
  register<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): Subscription {
    if (typeof handler !== 'function') throw new TypeError(`onServerRequest('${method}'): the handler must be a function`);
    // Its own entry: the same function registered twice is unregistered once per subscription.
    const entry: ServerRequestHandler<any> = (params: any, context) => handler(params, context);
    const list = this.byMethod.get(method) ?? [];
    list.push(entry);
    this.byMethod.set(method, list);
    return new Subscription(() => {
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && this.byMethod.get(method) === list) this.byMethod.delete(method);
    });
  }

  /** The handler that answers `method` now, if any. */
  get(method: string): ServerRequestHandler<any> | undefined {
    const list = this.byMethod.get(method);
    return list?.[list.length - 1];
  }
}

const noHandler = (method: string, what: string): Reply => ({
  error: {
    code: ErrorCodes.InternalError,
    message: `codex-rx has no handler for '${method}' (${what}): register one with client.onServerRequest('${method}', handler)`,
  },
});

/**
 * The safe default answer of a server request method of the pinned protocol, or null for a
 * method it lacks (answered -32601). Nothing is granted, accepted or invented: approvals are
 * declined, an elicitation declined, a tool call fails, and what only the host can give (auth
 * tokens, attestation, user input) is an error naming the handler to register.
 */
export function defaultReply(method: string, params: unknown): Reply | null {
  switch (method as ServerRequestMethod) {
    case 'item/commandExecution/requestApproval':
    case 'item/fileChange/requestApproval':
      return { result: { decision: 'decline' } };
    case 'item/permissions/requestApproval':
      return { result: { permissions: {}, scope: 'turn' } };
    case 'execCommandApproval':
    case 'applyPatchApproval':
      return { result: { decision: { denied: { rejection: 'declined by the user' } } } };
    case 'mcpServer/elicitation/request':
      return { result: { action: 'decline', content: null, _meta: null } };
    case 'item/tool/call': {
      const tool = (params as { tool?: unknown } | null)?.tool;
      return { result: toolFailure(`no client-side tool '${String(tool)}' on this thread`) };
    }
    case 'item/tool/requestUserInput':
      return noHandler(method, 'questions for the user; or client.setUserInputHandler');
    case 'account/chatgptAuthTokens/refresh':
      return noHandler(method, 'fresh ChatGPT auth tokens');
    case 'attestation/generate':
      return noHandler(method, 'a client attestation token');
    default:
      return null;
  }
}

/** A tool call's failed answer: the model sees `text`. */
export function toolFailure(text: string): { contentItems: Array<{ type: 'inputText'; text: string }>; success: false } {
  return { contentItems: [{ type: 'inputText', text }], success: false };
}
