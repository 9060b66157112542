/** Anything SQL can run on: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migration files). */
  exec(sql: string): Promise<void>;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection under this name, so Postgres skips parsing and
   * planning on every later run (for the hottest statements; a parsed and planned join costs
   * more server CPU than running it). One name, one text, forever: name it after its repository
   * method. List columns explicitly (a prepared `SELECT *` fails once a migration changes the
   * table). PGlite ignores it.
   */
  prepareAs?: string;
}

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The system of record. Two implementations run the same SQL: node-postgres against a server,
 * and PGlite embedded in the process.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/** Postgres SQLSTATE codes the application branches on. */
export const PG_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === PG_UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}
