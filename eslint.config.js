// ESLint flat config: typescript-eslint's type-checked rules over every TypeScript file tsconfig.json
// includes. Formatting is prettier's job (`npm run format`), so no stylistic rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The globals plain Node.js scripts use (TypeScript files get theirs from @types/node). */
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'fetch',
    'Request',
    'Response',
    'Headers',
    'ReadableStream',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'structuredClone',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'queueMicrotask',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'data/',
      'logs/',
      'test-results/',
      'coverage/',
      'bench/results/',
      'packages/python-client/',
    ],
  },
  {
    linterOptions: {
      // An eslint-disable comment that no longer suppresses anything is an error, so they cannot rot.
      reportUnusedDisableDirectives: 'error',
    },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its rejection: await it, or mark a deliberate fire-and-forget with `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Reported, not enforced: each `!` is a place where the types could say more.
      '@typescript-eslint/no-non-null-assertion': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Fastify's async plugin form and the async interfaces (Cache, Database) are implemented by
      // functions that have nothing to await; making them sync would change their contract.
      '@typescript-eslint/require-await': 'off',
      // `'new' | string` names a sentinel value on purpose; the union documents it.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // Input validation matches control characters on purpose (subjects, return_to, labels).
      'no-control-regex': 'off',
    },
  },
  {
    // Test and benchmark code reads untyped JSON (light-my-request's `json()`, fetch bodies) all the
    // time; asserting on it is the point. Production code keeps the no-unsafe-* rules.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (this file, bin/, scripts/, the SDK's installed-package test) is outside
    // tsconfig.json: lint it without type information, against Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: NODE_GLOBALS },
  },
);
