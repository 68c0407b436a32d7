import { DestroyRef, EnvironmentProviders, inject, InjectionToken, makeEnvironmentProviders } from '@angular/core';
import { CodexClient } from '../client';
import type { ClientOptions } from '../options';
import { RelayTransport, type RelayTransportOptions } from '../streams/relay-transport';
import type { Transport } from '../streams/transport';

/** The app's `CodexClient` (see `provideCodex`; `injectCodex()` reads it). */
export const CODEX_CLIENT = new InjectionToken<CodexClient>('codex-rx CODEX_CLIENT');

/**
 * How `provideCodex` makes the client, run in an injection context (so it may `inject()`):
 * - `client`: your own factory;
 * - `relay`: a `RelayTransport` to the codex-rx relay on your backend (`{ url, token }`, or a
 *   factory of them), the usual choice in browsers;
 * - `transport`: any other `Transport` (an `InMemoryTransport` in tests).
 */
export type CodexProviderConfig =
  | {
      /** Makes the client (in an injection context). */
      readonly client: () => CodexClient;
    }
  | {
      /** Where the relay is and the token (or a function that reads them, in an injection context). */
      readonly relay: RelayTransportOptions | (() => RelayTransportOptions);
      /** The client's options. */
      readonly options?: ClientOptions;
    }
  | {
      /** Makes the transport (in an injection context). */
      readonly transport: () => Transport;
      /** The client's options. */
      readonly options?: ClientOptions;
    };

/**
 * Provides the app's `CodexClient` (`bootstrapApplication(App, { providers: [provideCodex(...)] })`):
 * made on first `injectCodex()`, closed when its injector is destroyed. No zone needed: the client
 * never relies on Zone.js, and the signal helpers update signals.
 */
export function provideCodex(config: CodexProviderConfig): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: CODEX_CLIENT,
      useFactory: () => {
        const client = makeClient(config);
        // The app (or the TestBed) is destroyed: stop the connection and fail pending work.
        inject(DestroyRef).onDestroy(() => void client.close());
        return client;
      },
    },
  ]);
}

/** The client `provideCodex` gave this injector. Call it in an injection context (a field initialiser, a constructor). */
export function injectCodex(): CodexClient {
  return inject(CODEX_CLIENT);
}

function makeClient(config: CodexProviderConfig): CodexClient {
  if ('client' in config) return config.client();
  if ('transport' in config) return new CodexClient(config.transport(), config.options);
  const relay = typeof config.relay === 'function' ? config.relay() : config.relay;
  return new CodexClient(new RelayTransport(relay), config.options);
}
