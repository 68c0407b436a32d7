/** What a promise came to, readable synchronously once settled (for specs on a virtual clock). */
export interface Outcome {
  value?: unknown;
  error?: unknown;
  settled: boolean;
}

/** Watches `p`: the returned object fills in when it settles (it never rejects itself). */
export function outcome(p: Promise<unknown>): Outcome {
  const out: Outcome = { settled: false };
  p.then(
    (value) => Object.assign(out, { value, settled: true }),
    (error: unknown) => Object.assign(out, { error, settled: true }),
  );
  return out;
}
