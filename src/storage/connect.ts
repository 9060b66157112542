import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Database } from './database.js';
import { createPgDatabase } from './pg-database.js';
import { createPgliteDatabase } from './pglite-database.js';

/** Postgres when a URL is configured, otherwise embedded PGlite under DATA_DIR/pglite. */
export async function connectDatabase(config: Config): Promise<Database> {
  if (config.database_url) {
    return createPgDatabase({
      url: config.database_url,
      poolMax: config.database.pool_max,
      statementTimeoutMs: config.database.statement_timeout_ms,
      preparedStatements: config.database.prepared_statements,
    });
  }
  return createPgliteDatabase(join(config.data_dir, 'pglite'));
}
