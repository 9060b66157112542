import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../helpers/backends.js';
import { createPgDatabase } from '../../../src/storage/pg-database.js';
import { DatabaseUnavailableError } from '../../../src/storage/unavailable.js';
import type { Database } from '../../../src/storage/database.js';

/**
 * What Gatehouse asks of a Postgres connection so that it works behind PgBouncer in transaction
 * mode: no startup parameters, the statement timeout per transaction, and named prepared
 * statements only when configured (and never a 500 when the server lost one).
 */
describeBackends('Postgres behind a pooler', (backend) => {
  if (backend.name !== 'real') {
    // PGlite has no connections to pool: a named query simply runs.
    it('runs queries named for preparation on the embedded database too', async () => {
      const t = await backend.createDatabase();
      try {
        const r = await t.db.query<{ n: number }>('SELECT $1::int AS n', [7], { prepareAs: 'pooler_embedded' });
        expect(r.rows).toEqual([{ n: 7 }]);
      } finally {
        await t.drop();
      }
    });
    return;
  }
  let t: TestDatabase;
  const opened: Database[] = [];
  const open = (preparedStatements: boolean, statementTimeoutMs = 300) => {
    const db = createPgDatabase({ url: t.url!, poolMax: 1, statementTimeoutMs, preparedStatements });
    opened.push(db);
    return db;
  };
  beforeAll(async () => {
    t = await backend.createDatabase();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(opened.map((d) => d.close()));
    await t?.drop();
  });

  it('sends no statement_timeout startup parameter (PgBouncer refuses unknown ones)', async () => {
    // A server-side record of what the connection asked for at start-up: its reset value.
    const db = open(false);
    const { rows } = await db.query<{ reset_val: string; source: string }>(
      "SELECT reset_val, source FROM pg_settings WHERE name = 'statement_timeout'",
    );
    expect(rows[0]!.source).not.toBe('client');
  });

  it.each([true, false])(
    'cancels a transaction statement past the timeout (prepared_statements: %s)',
    async (prepared) => {
      const db = open(prepared);
      const err = await db.transaction((tx) => tx.query('SELECT pg_sleep(2)')).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('57014'); // query_canceled
      const shown = await db.transaction((tx) => tx.query<{ statement_timeout: string }>('SHOW statement_timeout'));
      expect(shown.rows[0]!.statement_timeout).toBe('300ms');
    },
  );

  it('stops waiting for a single statement behind a transaction pooler and answers unavailable, not a 500', async () => {
    // prepared_statements off stands for "behind a transaction pooler": no server-side timeout
    // can travel with a lone statement, so the client gives up after the timeout + 1 s.
    const db = open(false, 200);
    const started = Date.now();
    const err = await db.query('SELECT pg_sleep(3)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('prepares named statements only when prepared_statements is on', async () => {
    const named = { prepareAs: 'pooler_probe' };
    const sql = 'SELECT name FROM pg_prepared_statements';
    const on = open(true);
    expect((await on.query<{ name: string }>(sql, [], named)).rows.map((r) => r.name)).toContain('pooler_probe');
    const off = open(false);
    expect((await off.query<{ name: string }>(sql, [], named)).rows).toEqual([]);
  });

  it('runs a query again, unnamed, when the server no longer knows its prepared statement', async () => {
    const db = open(true, 0);
    const named = { prepareAs: 'pooler_lost' };
    expect((await db.query<{ n: number }>('SELECT $1::int AS n', [1], named)).rows).toEqual([{ n: 1 }]);
    await db.query('DEALLOCATE ALL'); // what a pooler switching server connections amounts to
    expect((await db.query<{ n: number }>('SELECT $1::int AS n', [2], named)).rows).toEqual([{ n: 2 }]);
  });

  it('answers a lost prepared statement inside a transaction as unavailable (retryable), not as a bug', async () => {
    const db = open(true, 0);
    const named = { prepareAs: 'pooler_lost_tx' };
    await db.query('SELECT $1::int AS n', [1], named);
    await db.query('DEALLOCATE ALL');
    const err = await db.transaction((tx) => tx.query('SELECT $1::int AS n', [1], named)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    // The connection with the wrong statement cache was discarded: the next transaction works.
    expect((await db.transaction((tx) => tx.query<{ n: number }>('SELECT $1::int AS n', [3], named))).rows).toEqual([
      { n: 3 },
    ]);
  });
});
