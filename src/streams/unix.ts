import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The local daemon's control socket (`codex app-server daemon start`), which is also where
 * `codex app-server --listen unix://` listens without a path: `$CODEX_HOME/app-server-control/app-server-control.sock`,
 * `CODEX_HOME` defaulting to `~/.codex`.
 */
export function defaultControlSocket(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.CODEX_HOME || path.join(os.homedir(), '.codex');
  return path.join(home, 'app-server-control', 'app-server-control.sock');
}

/** The `ws` URL of an app-server on a Unix socket (`ws+unix://PATH:/`). */
export function unixSocketUrl(socketPath: string = defaultControlSocket()): string {
  return `ws+unix://${path.resolve(socketPath)}:/`;
}
