import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import type { TestDatabase } from '../../helpers/backends.js';
import { migrate, readMigrations } from '../../../src/storage/migrate.js';
import { isUniqueViolation } from '../../../src/storage/database.js';

describeBackends('Database', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.createDatabase();
  }, 60_000);
  afterAll(async () => t?.drop());

  it('records every migration once and re-running applies nothing', async () => {
    const names = readMigrations().map((m) => m.name);
    const recorded = await t.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(recorded.rows.map((r) => r.name)).toEqual(names);
    expect(await migrate(t.db)).toEqual([]);
  });

  it('creates every table Gatehouse needs', async () => {
    const { rows } = await t.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'audit_events',
        'authorization_codes',
        'clients',
        'connect_links',
        'connections',
        'consents',
        'google_credentials',
        'refresh_tokens',
        'revoked_access_tokens',
        'sessions',
        'signing_keys',
        'token_families',
        'users',
      ]),
    );
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await t.db.transaction(async (tx) => {
      await tx.query("INSERT INTO users (id, username) VALUES ('u-commit', 'committed')");
    });
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query("INSERT INTO users (id, username) VALUES ('u-rollback', 'rolledback')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await t.db.query<{ id: string }>("SELECT id FROM users WHERE id IN ('u-commit', 'u-rollback')");
    expect(rows.map((r) => r.id)).toEqual(['u-commit']);
  });

  it('a prepared statement (prepareAs) runs again and again, pooled and in transactions', async () => {
    const sql = 'SELECT $1::int + 1 AS n, now() IS NOT NULL AS ok';
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.db.query<{ n: number; ok: boolean }>(sql, [i], { prepareAs: 'test.add_one' }),
      ),
    );
    expect(runs.map((r) => r.rows[0]!.n)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const inTx = await t.db.transaction(async (tx) => {
      const a = await tx.query<{ n: number }>(sql, [41], { prepareAs: 'test.add_one' });
      const b = await tx.query<{ n: number }>(sql, [1], { prepareAs: 'test.add_one' });
      return [a.rows[0]!.n, b.rows[0]!.n];
    });
    expect(inTx).toEqual([42, 2]);
  });

  it('enforces the unique username constraint and reports it by name', async () => {
    await t.db.query("INSERT INTO users (id, username) VALUES ('u-a', 'same.name')");
    const err = await t.db
      .query("INSERT INTO users (id, username) VALUES ('u-b', 'same.name')")
      .catch((e: unknown) => e);
    expect(isUniqueViolation(err, 'users_username_key')).toBe(true);
  });

  it('parses arrays, timestamps and JSON the same way on both backends', async () => {
    await t.db.query(
      "INSERT INTO clients (id, app_name, contact_email, grant_types, scope, token_endpoint_auth_method, redirect_uris) VALUES ('c1', 'App', 'a@b.c', $1, 'openid', 'none', $2)",
      [['authorization_code'], ['https://app.example/cb']],
    );
    const { rows } = await t.db.query<{ grant_types: string[]; created_at: Date; n: number }>(
      "SELECT grant_types, created_at, count(*) OVER () AS n FROM clients WHERE id = 'c1'",
    );
    expect(rows[0]!.grant_types).toEqual(['authorization_code']);
    expect(rows[0]!.created_at).toBeInstanceOf(Date);
    expect(rows[0]!.n).toBe(1);
    const audit = await t.db.query<{ details: unknown }>(
      "INSERT INTO audit_events (event, details) VALUES ('x', $1) RETURNING details",
      [JSON.stringify({ a: 1 })],
    );
    expect(audit.rows[0]!.details).toEqual({ a: 1 });
  });
});

describeBackends('concurrent migrations', (backend) => {
  // An in-memory PGlite cannot be opened by a second instance; the race needs a real server.
  if (backend.name !== 'real') {
    it('migrating twice in one process applies nothing the second time', async () => {
      const t = await backend.createDatabase();
      try {
        expect(await migrate(t.db)).toEqual([]);
      } finally {
        await t.drop();
      }
    });
    return;
  }
  it('two instances migrating one empty database apply each file once', async () => {
    const t = await backend.createDatabase();
    try {
      // Start from an empty database again, then race two pools (two instances starting together).
      await t.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const second = t.connectAgain();
      const [a, b] = await Promise.all([migrate(t.db), migrate(second)]);
      const names = readMigrations().map((m) => m.name);
      expect([...a, ...b].sort()).toEqual(names);
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]!.n).toBe(names.length);
    } finally {
      await t.drop();
    }
  });
});
