import type { Database, Queryable } from '../../src/storage/database.js';

export interface RecordedQuery {
  sql: string;
  /** src/ modules on the call stack, innermost first (storage/ left out): who asked. */
  callers: string[];
}

/**
 * A real Database that records every statement it runs (transactions included) with the
 * Gatehouse modules that issued it. Not a mock: every call goes through to Postgres / PGlite.
 */
export class QueryCounter {
  readonly queries: RecordedQuery[] = [];

  constructor(private readonly inner: Database) {}

  reset(): void {
    this.queries.length = 0;
  }

  /** The wrapped database, for useTestApp's `db` option. */
  get db(): Database {
    const record = (sql: string) => this.queries.push({ sql: sql.replace(/\s+/g, ' ').trim(), callers: srcCallers() });
    const wrap = (q: Queryable): Queryable => ({
      query: (sql, params, options) => {
        record(sql);
        return q.query(sql, params, options);
      },
      exec: (sql) => {
        record(sql);
        return q.exec(sql);
      },
    });
    const inner = this.inner;
    return {
      ...wrap(inner),
      get kind() {
        return inner.kind;
      },
      transaction: (fn) => {
        record('BEGIN (transaction)');
        return inner.transaction((tx) => fn(wrap(tx)));
      },
      ping: () => inner.ping(),
      stats: () => inner.stats(),
      close: () => inner.close(),
    };
  }
}

function srcCallers(): string[] {
  const stack = new Error().stack ?? '';
  const files: string[] = [];
  for (const m of stack.matchAll(/\/src\/([\w/.-]+\.ts)/g)) {
    const file = m[1]!;
    if (file.startsWith('storage/') || files.includes(file)) continue;
    files.push(file);
  }
  return files;
}
