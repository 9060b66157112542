import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';
import { DatabaseUnavailableError, isConnectionError } from './unavailable.js';

export interface PgOptions {
  url: string;
  poolMax: number;
  /** 0 turns it off. Set per transaction (SET LOCAL), never as a startup parameter. */
  statementTimeoutMs: number;
  /**
   * Named (server-side) prepared statements for `prepareAs` queries. False behind a pooler in
   * transaction mode, where consecutive queries may reach different server connections.
   */
  preparedStatements?: boolean;
  /** How long a request may wait for a pooled connection before failing as unavailable. */
  connectionTimeoutMs?: number;
}

// Return bigint/int8 (counts, bigserial ids) as numbers when they fit; Gatehouse never stores
// values past 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPgDatabase(opts: PgOptions): Database {
  const prepared = opts.preparedStatements ?? true;
  const timeoutMs = opts.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 3000,
    // No statement_timeout startup parameter: PgBouncer refuses the connection over it.
    // Behind a transaction pooler a single query cannot carry a server-side timeout (a session
    // SET would leak to other clients' transactions); the client gives up waiting instead, and
    // the operator sets the role's statement_timeout (docs/scaling.md).
    query_timeout: !prepared && timeoutMs ? timeoutMs + 1000 : undefined,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // Talking to Postgres itself (or a session pooler), each connection is a session of ours:
    // the timeout is set once per connection, before the pool hands it out.
    // (pg-pool awaits the promise, although its type says void.)
    ...(prepared && timeoutMs
      ? {
          // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg-pool awaits it
          onConnect: async (client: pg.ClientBase) => void (await client.query(`SET statement_timeout = ${timeoutMs}`)),
        }
      : {}),
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // discards it and the next query opens a new one.
  pool.on('error', () => {});

  const run = async <T>(
    q: (config: pg.QueryConfig) => Promise<pg.QueryResult>,
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ) => {
    try {
      return toResult<T>(await q(queryConfig(sql, params, prepared ? options : undefined)));
    } catch (err) {
      if (isConnectionError(err)) throw new DatabaseUnavailableError(err);
      throw err;
    }
  };
  /**
   * A single query outside a transaction. pg-pool discards a connection whose query failed,
   * so a named statement the server no longer knows (a pooler switched connections, or a
   * DEALLOCATE) is run again, unnamed, on another connection.
   */
  const query = async <T>(sql: string, params?: readonly unknown[], options?: QueryOptions) => {
    try {
      return await run<T>((c) => pool.query(c), sql, params, options);
    } catch (err) {
      if (!isPreparedStatementError(err)) throw err;
      return run<T>((c) => pool.query(c), sql, params);
    }
  };
  // One round trip: the timeout travels with BEGIN (simple protocol, no parameters).
  const begin = timeoutMs ? `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}` : 'BEGIN';

  return {
    kind: 'postgres',
    query,
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
        query: async <R>(sql: string, params?: readonly unknown[], options?: QueryOptions) => {
          try {
            return await run<R>((c) => client.query(c), sql, params, options);
          } catch (err) {
            // The transaction is aborted and this connection's statement cache is wrong: the
            // connection is discarded and the caller told to retry (503), never a 500.
            if (isPreparedStatementError(err)) throw new DatabaseUnavailableError(err);
            throw err;
          }
        },
      };
      let broken = false;
      // A checked-out client whose connection dies (Postgres restarted mid-transaction) emits
      // 'error'; unheard, that would crash the process. Mark it broken so the pool discards it.
      const onConnectionError = () => {
        broken = true;
      };
      client.on('error', onConnectionError);
      try {
        await tx.exec(begin);
        const result = await fn(tx);
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        broken = err instanceof DatabaseUnavailableError;
        if (!broken)
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
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
      await query('SELECT 1');
    },
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/**
 * 26000 invalid_sql_statement_name: a named statement this connection believes prepared is
 * gone; 42P05 duplicate_prepared_statement: it is already there (both happen when a pooler in
 * transaction mode hands the statement to another client's server connection).
 */
function isPreparedStatementError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '26000' || code === '42P05';
}

/** Named statements are prepared once per connection (pg keeps track per client). */
function queryConfig(
  text: string,
  values: readonly unknown[] | undefined,
  options: QueryOptions | undefined,
): pg.QueryConfig {
  const config: pg.QueryConfig = { text };
  if (values) config.values = values as unknown[];
  if (options?.prepareAs) config.name = options.prepareAs;
  return config;
}

function toResult<T>(r: pg.QueryResult): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
}
