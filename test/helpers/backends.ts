import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import type { Database } from '../../src/storage/database.js';
import { createPgDatabase } from '../../src/storage/pg-database.js';
import { createPgliteDatabase } from '../../src/storage/pglite-database.js';
import { migrate } from '../../src/storage/migrate.js';

/**
 * The storage a test file runs on. "embedded" (PGlite in memory + in-process cache) always runs;
 * "real" (Postgres + Redis) runs when DATABASE_URL and REDIS_URL are set. With
 * GATEHOUSE_REQUIRE_REAL_BACKENDS=1 (CI) a missing or unreachable backend fails the run.
 */
export interface Backend {
  name: 'embedded' | 'real';
  /** A fresh, migrated database private to the caller. */
  createDatabase(): Promise<TestDatabase>;
  /** A cache under a fresh key prefix; call again with the same prefix for a second instance. */
  createCache(prefix?: string): Promise<TestCache>;
}

export interface TestDatabase {
  db: Database;
  /** Connection string of the private database (real backend only). */
  url?: string;
  /** Opens another pool on the same database (a second instance); real backend only. */
  connectAgain(): Database;
  drop(): Promise<void>;
}

export interface TestCache {
  cache: Cache;
  prefix: string;
  close(): Promise<void>;
}

const required = process.env.GATEHOUSE_REQUIRE_REAL_BACKENDS === '1';
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;

if (required && (!databaseUrl || !redisUrl)) {
  throw new Error('GATEHOUSE_REQUIRE_REAL_BACKENDS=1 needs DATABASE_URL and REDIS_URL');
}

const embedded: Backend = {
  name: 'embedded',
  async createDatabase() {
    const db = await createPgliteDatabase(undefined);
    await migrate(db);
    return {
      db,
      connectAgain: () => {
        throw new Error('an in-memory PGlite database cannot be opened twice; share the Database object');
      },
      drop: () => db.close(),
    };
  },
  async createCache(prefix = 'memory') {
    const cache = createMemoryCache();
    return { cache, prefix, close: () => cache.close() };
  },
};

function real(adminUrl: string, cacheUrl: string): Backend {
  return {
    name: 'real',
    async createDatabase() {
      const name = `gh_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = withDatabase(adminUrl, name);
      const open = () => createPgDatabase({ url, poolMax: 10, statementTimeoutMs: 10_000 });
      const db = open();
      const extra: Database[] = [];
      await migrate(db);
      return {
        db,
        url,
        connectAgain: () => {
          const again = open();
          extra.push(again);
          return again;
        },
        async drop() {
          await Promise.allSettled([db.close(), ...extra.map((d) => d.close())]);
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      };
    },
    async createCache(prefix = `gh:test:${randomBytes(6).toString('hex')}:`) {
      const cache = await createRedisCache({ url: cacheUrl, keyPrefix: prefix });
      return { cache, prefix, close: () => cache.close() };
    },
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export const backends: Backend[] = [embedded];
if (databaseUrl && redisUrl) backends.push(real(databaseUrl, redisUrl));

/** Declares the suite once per backend: `describeBackends('clients', (backend) => { … })`. */
export function describeBackends(title: string, fn: (backend: Backend) => void): void {
  for (const backend of backends) describe(`${title} [${backend.name}]`, () => fn(backend));
}
