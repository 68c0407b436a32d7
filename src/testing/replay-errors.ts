/** The JSON-RPC error code `ReplayTransport` answers a request with when the recording does not hold it. */
export const UNRECORDED_REQUEST_CODE = -32099;
