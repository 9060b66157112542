import { defineConfig } from 'vitest/config';

/** Fault, load and hostile-input tests on private Postgres/Redis processes: `npm run test:reliability`. */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
