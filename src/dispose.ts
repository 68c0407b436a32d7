/**
 * `Symbol.asyncDispose` where the runtime has none (explicit resource management, `await using`):
 * the registered `Symbol.for('Symbol.asyncDispose')`, which TypeScript's `await using` helpers
 * then find on `Symbol` and the usual polyfills agree on. A native symbol is never replaced.
 * Returns the symbol in use.
 */
export function ensureAsyncDispose(symbols: SymbolConstructor = Symbol): symbol {
  const target = symbols as unknown as { asyncDispose?: symbol; for(key: string): symbol };
  return (target.asyncDispose ??= target.for('Symbol.asyncDispose'));
}
