/** The server's answer to a method it lacks: -32600 "Invalid request: unknown variant `<method>`, expected one of ...". */
import { CodexProtocolError } from '../errors';
import { ErrorCodes } from './messages';
import { PROTOCOL_SERVER_VERSION } from './methods';

/**
 * `err`, or, when it is the server's "unknown variant" answer to `method`, a `CodexProtocolError`
 * (same `code` and `data`, `cause` = the original) that says the server lacks the method.
 */
export function explainUnknownMethod(err: unknown, method: string, serverVersion: string | null): unknown {
  if (!(err instanceof CodexProtocolError) || err.code !== ErrorCodes.InvalidRequest) return err;
  // The server's words up to its list of every method it knows (kept whole in `cause`).
  const said = /Invalid request: unknown variant `([^`]*)`/.exec(err.message);
  if (!said || said[1] !== method) return err;
  const server = serverVersion ? `codex app-server ${serverVersion}` : 'this codex app-server (version unknown)';
  return new CodexProtocolError(
    `${method}: ${server} has no method '${method}' (${said[0]}); codex-rx's protocol types are those of ${PROTOCOL_SERVER_VERSION}`,
    { code: err.code, data: err.data, cause: err },
  );
}
