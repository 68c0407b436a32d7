/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec', '<rootDir>/examples'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    // Type checking is done once by `npm run typecheck`; per-file transpiling keeps jest fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
    // Angular ships ES modules only: the Angular example's spec needs them as CommonJS.
    '^.+\\.mjs$': ['babel-jest', { babelrc: false, configFile: false, plugins: ['@babel/plugin-transform-modules-commonjs'] }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  // Docs and examples import the package by name, as users do: map it to the sources.
  moduleNameMapper: {
    '^codex-rx$': '<rootDir>/src/index.ts',
    '^codex-rx/(.*)$': '<rootDir>/src/$1',
    // package.json `imports`: the Node transports (as under Node's `node` condition).
    '^#node-transports$': '<rootDir>/src/streams/node-transports.ts',
  },
  testTimeout: 60000,
  // Spec files run in parallel: each starts its own servers on port 0 with its own temporary
  // CODEX_HOME, and dist/ is built under a lock (scripts/lib/packed.js). More workers than the two
  // cores this runs on: many specs spend most of their time waiting on a real server.
  maxWorkers: Number(process.env.CODEX_RX_JEST_WORKERS ?? 3),
};
