/**
 * `codex-rx/advanced`: the layers under `CodexClient`, for building a client of your own on them:
 * `JsonRpcConnection` (requests correlated by id, frame routing, registrations for notifications
 * and server requests) and the io-ts `codecs` of the JSON-RPC envelope and the frames the client
 * routes on. Using codex-rx needs neither; they are kept off the root so that its surface stays
 * what an app programs against.
 */
export { JsonRpcConnection } from './streams/connection';
export * as codecs from './protocol/codecs';
