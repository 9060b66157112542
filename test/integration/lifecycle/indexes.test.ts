import { beforeAll, expect, it } from 'vitest';
import { CHANGED_SINCE_SQL } from '../../../src/repositories/access-denials.js';
import { janitorStatements } from '../../../src/repositories/janitor.js';
import type { Database } from '../../../src/storage/database.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestStorage } from '../../helpers/use-test-app.js';
import { seedClient } from '../../helpers/lifecycle.js';

const ROWS = 20_000;

/**
 * Fills every table the janitor and the hot paths read with ROWS rows, about 1% of them due for
 * clean-up (as in a server that runs the janitor), so the planner sees realistic statistics.
 */
async function fillTables(db: Database): Promise<void> {
  const client = await seedClient(db, 'big-client');
  const g = `generate_series(1, ${ROWS}) g`;
  // every hundredth row is "old"
  const ts = (live: string, old: string) =>
    `CASE WHEN g % 100 = 0 THEN now() - interval '${old}' ELSE now() + interval '${live}' END`;
  await db.query(
    `INSERT INTO users (id, google_sub, email, username) SELECT 'u' || g, 'sub' || g, 'p' || g || '@example.com', 'user' || g FROM ${g}`,
  );
  await db.query(`INSERT INTO clients (id, app_name, contact_email, grant_types, scope, token_endpoint_auth_method)
                  SELECT 'c' || g, 'App', 'dev@example.com', '{client_credentials}', 'x', 'none' FROM ${g}`);
  await db.query(
    `INSERT INTO api_keys (id, name, lookup_prefix, key_hash, scopes) SELECT 'k' || g, 'svc', 'p' || g, 'h', '{tokens}' FROM ${g}`,
  );
  await db.query(
    `INSERT INTO token_families (id, client_id, user_id, scope, access_expires_at, revoked_at)
                  SELECT 'f' || g, $1, 'u' || g, 'openid', ${ts('10 minutes', '40 days')}, CASE WHEN g % 50 = 0 THEN now() END FROM ${g}`,
    [client],
  );
  await db.query(
    `INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
                  SELECT 'r' || g, 'f' || g, $1, 'u' || g, 'openid', ${ts('20 days', '1 day')} FROM ${g}`,
    [client],
  );
  await db.query(
    `INSERT INTO authorization_codes (code_hash, client_id, user_id, scope, expires_at, family_id)
                  SELECT 'a' || g, $1, 'u' || g, 'openid', ${ts('1 minute', '2 days')}, 'f' || g FROM ${g}`,
    [client],
  );
  await db.query(`INSERT INTO sessions (id_hash, user_id, idle_expires_at, expires_at)
                  SELECT 's' || g, 'u' || g, ${ts('1 hour', '1 hour')}, now() + interval '10 days' FROM ${g}`);
  await db.query(`INSERT INTO connect_links (id, connection_id, expires_at, used_at)
                  SELECT 'l' || g, 'conn', ${ts('10 minutes', '2 days')}, CASE WHEN g % 3 = 0 THEN now() END FROM ${g}`);
  await db.query(
    `INSERT INTO revoked_access_tokens (jti, expires_at) SELECT 'j' || g, ${ts('10 minutes', '1 hour')} FROM ${g}`,
  );
  await db.query(
    `INSERT INTO access_denials (kind, value, expires_at) SELECT 'client', 'c' || g, ${ts('10 minutes', '1 hour')} FROM ${g}`,
  );
  await db.query(`INSERT INTO audit_events (occurred_at, event, actor, subject, details)
                  SELECT CASE WHEN g % 100 = 0 THEN now() - interval '100 days' ELSE now() - interval '1 day' END, 'login', 'u' || g, 'u' || g, '{}' FROM ${g}`);
  await db.query(`INSERT INTO google_credentials (id, user_id, key_id, last_refreshed_at, updated_at)
                  SELECT 'g' || g, 'u' || g, 'k1', ${ts('0 days', '400 days')}, ${ts('0 days', '400 days')} FROM ${g}`);
  await db.query(`INSERT INTO username_holds (username_sha256, released_at)
                  SELECT 'h' || g, ${ts('0 days', '40 days').replace('now() +', 'now() -')} FROM ${g}`);
  await db.query(
    `INSERT INTO authorization_interactions (id_hash, client_id, redirect_uri, redirect_uri_sent, scope, created_at, expires_at)
                  SELECT 'i' || g, $1, 'https://app.example.com/cb', true, 'openid', ${ts('5 minutes', '1 hour')} - interval '5 minutes', ${ts('5 minutes', '1 hour')} FROM ${g}`,
    [client],
  );
  await db.query(
    `INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scope, created_at, expires_at)
                  SELECT 'd' || g, 'du' || g, $1, 'openid', ${ts('5 minutes', '2 hours')} - interval '5 minutes', ${ts('5 minutes', '2 hours')} FROM ${g}`,
    [client],
  );
  await db.query(
    `INSERT INTO webhooks (id, url, events, secret_enc, key_id) VALUES ('w1', 'https://hooks.example.com/', '{user.deleted}', 'x', 'k1')`,
  );
  // most events and deliveries are recent; every hundredth is old and finished
  const created = ts('0 days', '40 days').replace('now() +', 'now() -');
  await db.query(
    `INSERT INTO webhook_events (id, type, data, created_at) SELECT 'e' || g, 'user.deleted', '{}', ${created} FROM ${g}`,
  );
  await db.query(`INSERT INTO webhook_deliveries (id, webhook_id, event_id, attempts, next_attempt_at, delivered_at, created_at)
                  SELECT 'wd' || g, 'w1', 'e' || g, '[{"at": "2026-01-01T00:00:00.000Z", "status_code": 200}]',
                         CASE WHEN g % 10 = 1 THEN now() END, CASE WHEN g % 10 <> 1 THEN ${created} END, ${created} FROM ${g}`);
  await db.exec('ANALYZE');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] ?? '?'] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

async function explain(db: Database, sql: string, params: unknown[]): Promise<{ seqScans: string[]; plan: unknown }> {
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(
    `EXPLAIN (FORMAT JSON) ${sql}`,
    params,
  );
  const raw = rows[0]!['QUERY PLAN'];
  const parsed = typeof raw === 'string' ? (JSON.parse(raw) as [{ Plan: PlanNode }]) : raw;
  return { seqScans: seqScans(parsed[0].Plan), plan: parsed[0].Plan };
}

const statements = janitorStatements({
  marginSeconds: 300,
  codeKeepSeconds: 86_400,
  connectLinkKeepSeconds: 86_400,
  refreshTokenDays: 30,
  auditRetentionDays: 90,
  deviceKeepSeconds: 3600,
  usernameHoldDays: 30,
  webhookRetentionDays: 30,
});

/** The lookups on the request path, as the repositories issue them. */
const HOT: [string, string, unknown[]][] = [
  [
    'refresh token by hash',
    `SELECT r.token_hash, f.revoked_at, u.username FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id
     LEFT JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1`,
    ['r77'],
  ],
  [
    'family lock by refresh token',
    'SELECT f.id FROM token_families f WHERE f.id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) FOR UPDATE',
    ['r77'],
  ],
  ['code by hash', 'SELECT * FROM authorization_codes WHERE code_hash = $1 FOR UPDATE', ['a77']],
  ['session by hash', 'SELECT * FROM sessions WHERE id_hash = $1', ['s77']],
  ['family by id', 'SELECT * FROM token_families WHERE id = $1', ['f77']],
  [
    'families of a user and client',
    'SELECT id FROM token_families WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL',
    ['u77', 'big-client'],
  ],
  ['client by id', 'SELECT * FROM clients WHERE id = $1', ['c77']],
  ['api key by lookup prefix', 'SELECT * FROM api_keys WHERE lookup_prefix = $1', ['p77']],
  ['google credential by user', 'SELECT * FROM google_credentials WHERE user_id = $1', ['u77']],
  ['google credential by connection', 'SELECT * FROM google_credentials WHERE connection_id = $1', ['conn']],
  ['user by id', 'SELECT * FROM users WHERE id = $1', ['u77']],
  ['user by email', 'SELECT * FROM users WHERE lower(email) = lower($1)', ['p77@example.com']],
  // user deletion and client purge
  ['families of a user (deletion)', 'UPDATE token_families SET user_id = NULL WHERE user_id = $1', ['u77']],
  ['sessions of a user', 'DELETE FROM sessions WHERE user_id = $1', ['u77']],
  ['codes of a user (cascade)', 'DELETE FROM authorization_codes WHERE user_id = $1', ['u77']],
  ['refresh tokens of revoked families', 'DELETE FROM refresh_tokens WHERE family_id = ANY($1::text[])', [['f77']]],
  [
    'audit events naming a user',
    'UPDATE audit_events SET actor = NULL WHERE actor = ANY($1::text[]) OR subject = ANY($1::text[])',
    [['u77']],
  ],
  [
    'refresh tokens of a client',
    'DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM token_families WHERE client_id = $1)',
    ['c77'],
  ],
  ['codes of a client', 'DELETE FROM authorization_codes WHERE client_id = $1', ['c77']],
  ['families of a client', 'UPDATE token_families SET revoked_at = now() WHERE client_id = $1', ['c77']],
  ['refresh tokens of a family (cascade)', 'DELETE FROM refresh_tokens WHERE family_id = $1', ['f77']],
  ['codes of a family (set null)', 'UPDATE authorization_codes SET family_id = NULL WHERE family_id = $1', ['f77']],
  [
    'unused google credentials',
    `SELECT id FROM google_credentials WHERE GREATEST(last_used_at, last_refreshed_at, updated_at) < now() - make_interval(days => $1)
     ORDER BY GREATEST(last_used_at, last_refreshed_at, updated_at) LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [180, 25],
  ],
];

describeBackends('indexes: janitor and hot queries are index scans', (backend) => {
  const storage = useTestStorage(backend);
  beforeAll(() => fillTables(storage.db), 120_000);

  const janitorCases = Object.entries(statements).flatMap(([kind, list]) =>
    list.map(
      (s, i) =>
        [`janitor ${kind}${list.length > 1 ? ` #${i + 1}` : ''}`, s.sql, [1000, ...s.params]] as [
          string,
          string,
          unknown[],
        ],
    ),
  );

  it.each([...janitorCases, ...HOT])('%s', async (_name, sql, params) => {
    const { seqScans: scans, plan } = await explain(storage.db, sql, params);
    expect(scans, JSON.stringify(plan, null, 1)).toEqual([]);
  });

  // Every instance runs it every 2 s: it must walk the transaction-id indexes, not the tables.
  it('deny-list sync since a recent horizon', async () => {
    const { rows } = await storage.db.query<{ horizon: string }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon',
    );
    const { seqScans: scans, plan } = await explain(storage.db, CHANGED_SINCE_SQL, [rows[0]!.horizon]);
    expect(scans, JSON.stringify(plan, null, 1)).toEqual([]);
  });

  it('the test tables are big enough for the planner to care', async () => {
    const { rows } = await storage.db.query<{ n: number }>(
      'SELECT reltuples::int AS n FROM pg_class WHERE relname = $1',
      ['refresh_tokens'],
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(ROWS * 0.9);
  });
});
