// Lint: typescript-eslint's recommended rules over the TypeScript sources, specs, benchmarks and examples.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.*/**',
      '**/dist/**',
      'docs/**',
      'coverage/**',
      'node_modules/**',
      'src/protocol/generated/**',
      'src/protocol/generated-experimental/**',
      '**/*.generated.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      // TypeScript itself reports undefined names (and knows the DOM/Node/jest globals).
      'no-undef': 'off',
      // Protocol frames are untyped JSON at the edges; `any` is allowed where it is explicit.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // One clock: every timer of the library goes through the injected SchedulerLike, so that specs
    // run it in virtual time. The offline test kit's model server and its macrotask helper live
    // outside any client and keep real timers.
    files: ['src/**/*.ts'],
    ignores: ['src/testing/scripted-model.ts', 'src/testing/virtual-time.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].map((name) => ({
          name,
          message: 'Timers go through the injected SchedulerLike (scheduler.schedule): one clock, virtual time in specs.',
        })),
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
