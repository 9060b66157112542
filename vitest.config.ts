import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the SDK's TypeScript sources, like the server's (the package itself resolves to its
  // compiled dist/; CI tests that build as installed from the packed tarball).
  resolve: {
    alias: { '@gatehouse/client': fileURLToPath(new URL('./packages/client/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite boots a WASM Postgres per file; two cores run two files at a time comfortably.
    maxWorkers: 2,
  },
});
