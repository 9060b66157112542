import argon2 from 'argon2';
import type { GatehouseSeeder } from './gatehouse-seed.js';

export interface BulkCounts {
  clients: number;
  users: number;
  refreshTokens: number;
}

/**
 * Loads the scale run's rows with INSERT … SELECT generate_series, in slices so no statement
 * runs past the server's statement timeout: clients (sharing one argon2 hash: only rows are
 * measured here, not secrets), users, one token family per user, and refresh tokens spread
 * over the families. Returns seconds per table.
 */
export async function bulkLoad(
  seeder: GatehouseSeeder,
  counts: BulkCounts,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const secretHash = await argon2.hash('scale-secret-not-used', { type: argon2.argon2id });
  const timings: Record<string, number> = {};
  const sliced = async (
    table: string,
    total: number,
    slice: number,
    sql: (from: number, to: number) => [string, unknown[]],
  ) => {
    const started = Date.now();
    for (let from = 1; from <= total; from += slice) {
      const [text, params] = sql(from, Math.min(total, from + slice - 1));
      await seeder.query(text, params);
    }
    timings[table] = (Date.now() - started) / 1000;
    log(`  loaded ${total.toLocaleString('en')} ${table} in ${timings[table].toFixed(1)} s`);
  };
  await sliced('clients', counts.clients, 50_000, (a, b) => [
    `INSERT INTO clients (id, app_name, contact_email, secret_hash, redirect_uris, grant_types, scope, token_endpoint_auth_method)
     SELECT 'scale_' || g, 'Scale app ' || g, 'scale' || g || '@example.com', $3,
            ARRAY['https://app' || g || '.example.com/callback'], ARRAY['authorization_code','refresh_token','client_credentials'],
            'openid profile email api', 'client_secret_basic'
     FROM generate_series($1::int, $2::int) AS g`,
    [a, b, secretHash],
  ]);
  await sliced('users', counts.users, 50_000, (a, b) => [
    `INSERT INTO users (id, google_sub, email, email_verified, username, first_name, last_name, name)
     SELECT 'scale-user-' || g, 'scale-sub-' || g, 'scale.user' || g || '@example.com', true, 'scale_user_' || g, 'Scale', 'User', 'Scale User'
     FROM generate_series($1::int, $2::int) AS g`,
    [a, b],
  ]);
  await sliced('token_families', counts.users, 50_000, (a, b) => [
    `INSERT INTO token_families (id, client_id, user_id, scope, access_expires_at)
     SELECT 'scale-fam-' || g, 'scale_' || (1 + g % $3), 'scale-user-' || g, 'openid profile email', now() + interval '10 minutes'
     FROM generate_series($1::int, $2::int) AS g`,
    [a, b, counts.clients],
  ]);
  await sliced('refresh_tokens', counts.refreshTokens, 100_000, (a, b) => [
    `INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
     SELECT encode(sha256(('scale-rt-' || g)::bytea), 'hex'), 'scale-fam-' || (1 + g % $3), 'scale_' || (1 + (1 + g % $3) % $4),
            'scale-user-' || (1 + g % $3), 'openid profile email', now() + interval '30 days'
     FROM generate_series($1::int, $2::int) AS g`,
    [a, b, counts.users, counts.clients],
  ]);
  const started = Date.now();
  await seeder.query('ANALYZE');
  timings.analyze = (Date.now() - started) / 1000;
  return timings;
}
