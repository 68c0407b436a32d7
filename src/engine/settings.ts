import { asyncScheduler, SchedulerLike } from 'rxjs';
import { DEFAULTS } from '../defaults';
import type { ClientOptions } from '../options';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';

/** `ClientOptions` with every default applied: what the engine runs on. */
export interface EngineSettings {
  readonly scheduler: SchedulerLike;
  readonly requestTimeoutMs: number | null;
  readonly inactivityTimeoutMs: number | null;
  readonly strict: boolean;
  readonly maxBufferedEvents: number;
  readonly maxBufferedBytes: number;
  readonly maxSuspendedTurns: number;
  readonly approvalMode: 'auto' | 'manual';
  readonly handlerTimeoutMs: number | null;
  readonly idleGraceMs: number;
  readonly clientInfo: { name: string; version: string; title?: string };
  readonly experimentalApi: boolean;
  readonly environmentProbeMs: number;
  /** The `initialize` capabilities from the options (`experimentalApi` included), or null when none were set. */
  readonly capabilities: Record<string, unknown> | null;
}

/** Applies `DEFAULTS` to the options given. */
export function engineSettings(options: ClientOptions): EngineSettings {
  const pick = <K extends keyof ClientOptions, D>(key: K, fallback: D): Exclude<ClientOptions[K], undefined> | D =>
    options[key] === undefined ? fallback : (options[key] as Exclude<ClientOptions[K], undefined>);
  return {
    scheduler: options.scheduler ?? asyncScheduler,
    requestTimeoutMs: pick('requestTimeoutMs', DEFAULTS.requestTimeoutMs),
    inactivityTimeoutMs: pick('inactivityTimeoutMs', DEFAULTS.inactivityTimeoutMs),
    strict: pick('strict', DEFAULTS.strict),
    maxBufferedEvents: pick('maxBufferedEvents', DEFAULTS.maxBufferedEvents),
    maxBufferedBytes: pick('maxBufferedBytes', DEFAULTS.maxBufferedBytes),
    maxSuspendedTurns: pick('maxSuspendedTurns', DEFAULTS.maxSuspendedTurns),
    approvalMode: pick('approvalMode', DEFAULTS.approvalMode),
    handlerTimeoutMs: pick('handlerTimeoutMs', DEFAULTS.handlerTimeoutMs),
    idleGraceMs: pick('idleGraceMs', DEFAULTS.idleGraceMs),
    clientInfo: pick('clientInfo', { name: PACKAGE_NAME, version: PACKAGE_VERSION }),
    experimentalApi: options.experimentalApi === true,
    environmentProbeMs: pick('environmentProbeMs', DEFAULTS.environmentProbeMs),
    // Sent only when asked for: a client that sets neither sends the handshake it always sent.
    capabilities:
      options.experimentalApi !== undefined || options.capabilities !== undefined
        ? { ...options.capabilities, experimentalApi: options.experimentalApi === true }
        : null,
  };
}
