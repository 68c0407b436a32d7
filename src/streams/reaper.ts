/**
 * Children die with their host. A server that ignores stdin EOF and SIGTERM would otherwise
 * outlive a host that calls `process.exit()`, throws an uncaught exception, or is stopped by a
 * signal. The reaper SIGKILLs every live child on the host's `exit` event (which `process.exit()`
 * and uncaught exceptions emit) and on SIGINT, SIGTERM and SIGHUP, which it then re-raises so the
 * host ends as it would have (unless the host handles the signal itself). Only SIGKILL of the host
 * escapes it. Listeners are installed while a child lives and removed after.
 */
interface Killable {
  kill(signal: NodeJS.Signals): boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const children = new Set<Killable>();

function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Installed first (prepended), this runs before any other listener, `once` ones included, so
  // the count still holds them: more than this one means the host handles the signal itself.
  const hostHandles = process.listenerCount(signal) > 1;
  killAll();
  uninstall();
  // Nobody else handles it: end the way the signal would have ended us.
  if (!hostHandles) process.kill(process.pid, signal);
}

const handlers = new Map(SIGNALS.map((s) => [s, () => onSignal(s)] as const));

function install(): void {
  process.on('exit', killAll);
  for (const [signal, handler] of handlers) process.prependListener(signal, handler);
}

function uninstall(): void {
  process.removeListener('exit', killAll);
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
}

/** Reaps `child` if the host goes away first. Returns the release to call once the child is gone. */
export function reapOnExit(child: Killable): () => void {
  if (children.size === 0) install();
  children.add(child);
  return () => {
    if (children.delete(child) && children.size === 0) uninstall();
  };
}
