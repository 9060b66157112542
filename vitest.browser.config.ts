import { defineConfig } from 'vitest/config';

/** Real-browser tests (Debian's chromium via playwright-core): `npm run test:browser`. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
