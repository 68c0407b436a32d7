import type { ClientRequestMap } from './method-map.generated';

export type { ClientRequestMap } from './method-map.generated';
export { PROTOCOL_SERVER_VERSION } from './method-map.generated';

/** A client request method the pinned server version knows. */
export type KnownClientRequestMethod = keyof ClientRequestMap;
/** Any method string: known methods get their types, others are `unknown`. */
export type ClientRequestMethod = KnownClientRequestMethod | (string & {});
/** Params of a known method (`unknown` for any other string). */
export type ParamsOf<M extends string> = M extends KnownClientRequestMethod ? ClientRequestMap[M]['params'] : unknown;
/** Result of a known method (`unknown` for any other string). */
export type ResultOf<M extends string> = M extends KnownClientRequestMethod ? ClientRequestMap[M]['result'] : unknown;
