import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';
import { DatabaseUnavailableError, isConnectionError } from './unavailable.js';

export interface PgOptions {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  /** How long a request may wait for a pooled connection before failing as unavailable. */
  connectionTimeoutMs?: number;
}

// Return bigint/int8 (counts, bigserial ids) as numbers when they fit; Gatehouse never stores
// values past 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPgDatabase(opts: PgOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 3000,
    statement_timeout: opts.statementTimeoutMs || undefined,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // discards it and the next query opens a new one.
  pool.on('error', () => {});

  const run = async <T>(q: (config: pg.QueryConfig) => Promise<pg.QueryResult>, sql: string, params?: readonly unknown[], options?: QueryOptions) => {
    try {
      return toResult<T>(await q(queryConfig(sql, params, options)));
    } catch (err) {
      throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
    }
  };

  return {
    kind: 'postgres',
    query: <T>(sql: string, params?: readonly unknown[], options?: QueryOptions) => run<T>((c) => pool.query(c), sql, params, options),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw new DatabaseUnavailableError(err);
      }
      const tx: Queryable = {
        exec: async (sql) => {
          await run((c) => client.query(c), sql);
        },
        query: <R>(sql: string, params?: readonly unknown[], options?: QueryOptions) => run<R>((c) => client.query(c), sql, params, options),
      };
      let broken = false;
      // A checked-out client whose connection dies (Postgres restarted mid-transaction) emits
      // 'error'; unheard, that would crash the process. Mark it broken so the pool discards it.
      const onConnectionError = () => {
        broken = true;
      };
      client.on('error', onConnectionError);
      try {
        await tx.query('BEGIN');
        const result = await fn(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        broken = err instanceof DatabaseUnavailableError;
        if (!broken) await client.query('ROLLBACK').catch(() => { broken = true; });
        throw err;
      } finally {
        client.off('error', onConnectionError);
        client.release(broken);
      }
    },
    async exec(sql: string) {
      await run((c) => pool.query(c), sql);
    },
    async ping() {
      await run((c) => pool.query(c), 'SELECT 1');
    },
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/** Named statements are prepared once per connection (pg keeps track per client). */
function queryConfig(text: string, values: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  const config: pg.QueryConfig = { text };
  if (values) config.values = values as unknown[];
  if (options?.prepareAs) config.name = options.prepareAs;
  return config;
}

function toResult<T>(r: pg.QueryResult): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
}
