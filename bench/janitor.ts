/**
 * Janitor benchmark: one pass over 1,000,000 expired refresh tokens on real Postgres, while two
 * loops measure what requests see meanwhile:
 *   - token: client_credentials requests through the app (in process, as in the server), and
 *   - db: refresh-token lookups and inserts on the very table being cleaned.
 * Prints the pass duration and the p50/p99/max latency of each loop, before and during the
 * pass. Not a test: it prints numbers.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:janitor
 *
 * It creates a scratch database (gh_bench_janitor_*) next to DATABASE_URL's and drops it after.
 * ROWS (default 1000000), BATCH (default 1000) and BASELINE_MS (default 15000) override the sizes.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { createMemoryCache } from '../src/cache/memory-cache.js';
import { loadConfig } from '../src/config/load.js';
import { runJanitorPass } from '../src/janitor/janitor-pass.js';
import { createPgDatabase } from '../src/storage/pg-database.js';
import { migrate } from '../src/storage/migrate.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const LIVE_ROWS = 100_000;
/** How long the loops run before the pass, for comparison (BASELINE_MS). */
const BASELINE_MS = Number(process.env.BASELINE_MS ?? 15_000);
const ADMIN_KEY = randomBytes(24).toString('hex');

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Runs `op` back to back until `until` resolves; returns each call's latency in ms. */
async function loop(op: () => Promise<void>, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t0 = performance.now();
    await op();
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

function stats(name: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  const over = s.filter((v) => v > 100).length;
  return `${name.padEnd(28)} n=${String(s.length).padStart(6)}  p50=${at(0.5).toFixed(1)}ms  p99=${at(0.99).toFixed(1)}ms  max=${(s[s.length - 1] ?? NaN).toFixed(1)}ms  >100ms=${over}`;
}

async function main(): Promise<void> {
  const name = `gh_bench_janitor_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(ADMIN_URL, name);
  const seedDb = createPgDatabase({ url, poolMax: 2, statementTimeoutMs: 0 });
  try {
    await migrate(seedDb);
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: url,
        ADMIN_KEY,
        ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      },
      { janitor: { interval_seconds: 0 } },
    );
    const db = createPgDatabase({
      url,
      poolMax: config.database.pool_max,
      statementTimeoutMs: config.database.statement_timeout_ms,
    });
    const cache = createMemoryCache();
    const app = await buildApp(config, { db, cache });
    await app.ready();
    try {
      const reg = await app.inject({
        method: 'POST',
        url: '/clients/register',
        headers: { 'x-admin-key': ADMIN_KEY },
        payload: {
          app_name: 'Bench',
          contact_email: 'b@example.com',
          grant_types: ['client_credentials'],
          scope: 'reports',
        },
      });
      const { client_id, client_secret } = reg.json<{ client_id: string; client_secret: string }>();
      const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;

      console.log(`seeding ${ROWS} expired and ${LIVE_ROWS} live refresh tokens …`);
      const seedStart = performance.now();
      await seedDb.query(`INSERT INTO users (id, username) VALUES ('bench-user', 'benchuser')`);
      await seedDb.query(
        `INSERT INTO token_families (id, client_id, user_id, scope, access_expires_at)
                          VALUES ('bench-family', $1, 'bench-user', 'openid', now() + interval '1 day')`,
        [client_id],
      );
      for (let from = 1; from <= ROWS; from += 250_000) {
        const to = Math.min(ROWS, from + 249_999);
        await seedDb.query(
          `INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
           SELECT md5('x' || g), 'bench-family', $1, 'bench-user', 'openid', now() - interval '1 day' - make_interval(secs => g)
           FROM generate_series($2::int, $3::int) g`,
          [client_id, from, to],
        );
      }
      await seedDb.query(
        `INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
         SELECT md5('l' || g), 'bench-family', $1, 'bench-user', 'openid', now() + interval '20 days'
         FROM generate_series(1, $2::int) g`,
        [client_id, LIVE_ROWS],
      );
      await seedDb.exec('VACUUM ANALYZE refresh_tokens');
      console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

      const tokenRequest = async () => {
        const res = await app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'grant_type=client_credentials&scope=reports',
        });
        if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
      };
      let n = 0;
      const dbRequest = async () => {
        n++;
        const found = await app.repos.refreshTokens.find(
          createHash('md5')
            .update(`l${(n % LIVE_ROWS) + 1}`)
            .digest('hex'),
        );
        if (!found) throw new Error('a live refresh token was not found');
        await db.query(
          `INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
           VALUES ($1, 'bench-family', $2, 'bench-user', 'openid', now() + interval '20 days')`,
          [`bench-new-${n}`, client_id],
        );
      };
      await tokenRequest(); // first request verifies the secret with argon2 once

      const baselineDone = new Promise((r) => setTimeout(r, BASELINE_MS));
      const [baseToken, baseDb] = await Promise.all([loop(tokenRequest, baselineDone), loop(dbRequest, baselineDone)]);

      const log = { info: () => {}, warn: console.warn, error: console.error };
      const pass = runJanitorPass({ db, repos: app.repos, config, log, batchSize: BATCH });
      const [duringToken, duringDb, result] = await Promise.all([
        loop(tokenRequest, pass),
        loop(dbRequest, pass),
        pass,
      ]);

      const left = await seedDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM refresh_tokens WHERE expires_at < now()`,
      );
      console.log('');
      console.log(
        `janitor pass: ${result.counts.refresh_tokens} refresh tokens deleted in ${(result.durationMs / 1000).toFixed(1)} s ` +
          `(batch ${BATCH}; ${Math.round(result.counts.refresh_tokens / (result.durationMs / 1000))} rows/s); expired left: ${left.rows[0]!.n}; failed kinds: ${result.failed.join(',') || 'none'}`,
      );
      console.log(stats('client_credentials, before', baseToken));
      console.log(stats('client_credentials, during', duringToken));
      console.log(stats('db lookup+insert, before', baseDb));
      console.log(stats('db lookup+insert, during', duringDb));
    } finally {
      await app.close();
      await db.close();
      await cache.close();
    }
  } finally {
    await seedDb.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
