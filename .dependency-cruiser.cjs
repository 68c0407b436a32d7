/**
 * Architecture checks run by `npm run check` (dependency-cruiser). Type-only imports count
 * (`tsPreCompilationDeps`): a cycle through types is still a cycle of concepts.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles in src/ (type imports included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'operators-are-pure',
      severity: 'error',
      comment: 'Operators are pure: they never reach into the engine, the client or a transport.',
      from: { path: '^src/operators/' },
      to: { path: '^src/(engine|client|thread-handle|thread-methods|streams)' },
    },
    {
      name: 'no-rxjs-internal',
      severity: 'error',
      comment: 'Build on the public rxjs API, never rxjs/internal.',
      from: { path: '^src/' },
      to: { path: 'node_modules/rxjs/.*internal' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/protocol/generated/' },
  },
};
