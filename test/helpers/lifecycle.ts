import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../src/storage/database.js';
import type { JanitorKind } from '../../src/repositories/janitor.js';
import { seedUser } from './oauth.js';
import type { Database } from '../../src/storage/database.js';

/** A public client row written directly (no argon2, no app needed). */
export async function seedClient(db: Queryable, id = `c${randomBytes(19).toString('hex')}`): Promise<string> {
  await db.query(
    `INSERT INTO clients (id, app_name, contact_email, redirect_uris, grant_types, scope, token_endpoint_auth_method)
     VALUES ($1, 'Seeded', 'dev@example.com', '{https://app.example.com/callback}', '{authorization_code,refresh_token}', 'openid', 'none')`,
    [id],
  );
  return id;
}

export interface LifecycleSeed {
  /** Every seeded row carries this in its key, so counts ignore rows other tests wrote. */
  tag: string;
  /** What a pass should delete, per kind (google_credentials is seeded separately). */
  expired: Record<Exclude<JanitorKind, 'google_credentials'>, number>;
  /** Rows per table that must survive: live ones and ones inside a keep window. */
  kept: Record<string, number>;
}

/**
 * Seeds `expired` rows of every kind a janitor pass deletes and `live` rows of each that it
 * must keep, plus rows just inside each keep window. Timestamps are relative to the database's
 * now(); the policy is the default one (margin 5 min, codes and links kept a day, refresh tokens
 * 30 days, audit 90 days).
 */
export async function seedLifecycleRows(db: Database, n: { expired: number; live: number }): Promise<LifecycleSeed> {
  const tag = randomBytes(4).toString('hex');
  const user = await seedUser(db);
  const client = await seedClient(db);
  const e = n.expired;
  const l = n.live;
  // The ids are generated here (hex and a UUID), so they are safe to write into the SQL.
  const q = (sql: string) =>
    db.query(
      sql.replaceAll(':tag', `'${tag}'`).replaceAll(':client', `'${client}'`).replaceAll(':user', `'${user.id}'`),
    );
  const series = (count: number) => `generate_series(1, ${count}) g`;
  /** One INSERT … SELECT per group: a select list (g is the row number) and how many rows it makes. */
  const insert = async (table: string, columns: string, groups: [values: string, count: number][]) => {
    for (const [values, count] of groups)
      await q(`INSERT INTO ${table} (${columns}) SELECT ${values} FROM ${series(count)}`);
  };

  // authorization codes: past the one-day keep window / inside it / live
  await insert('authorization_codes', 'code_hash, client_id, user_id, scope, expires_at', [
    [`:tag || '-code-x-' || g, :client, :user, 'openid', now() - interval '2 days'`, e],
    [`:tag || '-code-k-' || g, :client, :user, 'openid', now() - interval '1 hour'`, l],
    [`:tag || '-code-l-' || g, :client, :user, 'openid', now() + interval '1 minute'`, l],
  ]);

  const families = 'id, client_id, user_id, scope, access_expires_at';
  const refreshTokens = 'token_hash, family_id, client_id, user_id, scope, expires_at';
  // one live family holding expired and live refresh tokens
  await insert('token_families', families, [
    [`:tag || '-fam-live', :client, :user, 'openid', now() + interval '10 minutes'`, 1],
  ]);
  await insert('refresh_tokens', refreshTokens, [
    [`:tag || '-rt-x-' || g, :tag || '-fam-live', :client, :user, 'openid', now() - interval '1 hour'`, e],
    [`:tag || '-rt-l-' || g, :tag || '-fam-live', :client, :user, 'openid', now() + interval '1 day'`, l],
  ]);

  // revoked families: access tokens expired (deleted, with their live-dated refresh token) / alive (kept)
  await insert('token_families', `${families}, revoked_at`, [
    [`:tag || '-fam-rx-' || g, :client, :user, 'openid', now() - interval '1 hour', now() - interval '2 hours'`, e],
    [`:tag || '-fam-rl-' || g, :client, :user, 'openid', now() + interval '5 minutes', now()`, l],
  ]);
  await insert('refresh_tokens', refreshTokens, [
    [`:tag || '-rt-rx-' || g, :tag || '-fam-rx-' || g, :client, :user, 'openid', now() + interval '1 day'`, e],
  ]);

  // unrevoked families: dead (last access token older than the refresh lifetime, no refresh
  // token) / old but holding a live refresh token / recently active
  await insert('token_families', families, [
    [`:tag || '-fam-dx-' || g, :client, :user, 'openid', now() - interval '31 days'`, e],
    [`:tag || '-fam-dk-' || g, :client, :user, 'openid', now() - interval '31 days'`, l],
    [`:tag || '-fam-dl-' || g, :client, :user, 'openid', now() - interval '1 hour'`, l],
  ]);
  await insert('refresh_tokens', refreshTokens, [
    [`:tag || '-rt-dk-' || g, :tag || '-fam-dk-' || g, :client, :user, 'openid', now() + interval '1 day'`, l],
  ]);

  // sessions: idle expiry passed / absolute expiry passed / live
  await insert('sessions', 'id_hash, user_id, idle_expires_at, expires_at', [
    [`:tag || '-s-ix-' || g, :user, now() - interval '1 second', now() + interval '1 day'`, e],
    [`:tag || '-s-ax-' || g, :user, now() + interval '1 hour', now() - interval '1 second'`, e],
    [`:tag || '-s-l-' || g, :user, now() + interval '1 hour', now() + interval '1 day'`, l],
  ]);

  // connect links: expired two days ago / used two days ago / expired an hour ago (kept a day) / live
  await insert('connect_links', 'id, connection_id, expires_at, used_at', [
    [`:tag || '-cl-x-' || g, 'branch-1', now() - interval '2 days', NULL`, e],
    [`:tag || '-cl-u-' || g, 'branch-1', now() + interval '10 minutes', now() - interval '2 days'`, e],
    [`:tag || '-cl-k-' || g, 'branch-1', now() - interval '1 hour', NULL`, l],
    [`:tag || '-cl-l-' || g, 'branch-1', now() + interval '10 minutes', now()`, l],
  ]);

  // deny-list rows: expired / inside the margin / live
  await insert('revoked_access_tokens', 'jti, expires_at', [
    [`:tag || '-j-x-' || g, now() - interval '1 hour'`, e],
    [`:tag || '-j-k-' || g, now() - interval '1 minute'`, l],
    [`:tag || '-j-l-' || g, now() + interval '10 minutes'`, l],
  ]);
  await insert('access_denials', 'kind, value, expires_at', [
    [`'client', :tag || '-d-x-' || g, now() - interval '1 hour'`, e],
    [`'subject', :tag || '-d-k-' || g, now() - interval '1 minute'`, l],
    [`'client', :tag || '-d-l-' || g, now() + interval '11 minutes'`, l],
  ]);

  // audit events: past the 90-day retention / inside it
  await insert('audit_events', 'occurred_at, event, details', [
    [`now() - interval '91 days', 'lifecycle_test', jsonb_build_object('tag', :tag)`, e],
    [`now() - interval '89 days', 'lifecycle_test', jsonb_build_object('tag', :tag)`, l],
  ]);

  // username holds: released more than 30 days ago / inside the hold
  await insert('username_holds', 'username_sha256, released_at', [
    [`:tag || '-uh-x-' || g, now() - interval '31 days'`, e],
    [`:tag || '-uh-k-' || g, now() - interval '29 days'`, l],
  ]);

  // authorization interactions (margin 5 min) and device authorizations (kept an hour, so a late
  // poll is told expired_token): expired / inside the margin or keep time / live. The TTL check
  // wants expires_at at most 10 minutes after created_at.
  for (const [suffix, interactionExpiry, deviceExpiry] of [
    ['x', '- 1 hour', '- 2 hours'],
    ['k', '- 1 minute', '- 30 minutes'],
    ['l', '+ 5 minutes', '+ 5 minutes'],
  ] as const) {
    const count = suffix === 'x' ? e : l;
    const at = (offset: string) => `now() ${offset.slice(0, 1)} interval '${offset.slice(2)}'`;
    const created = (offset: string) => `${at(offset)} - interval '5 minutes', ${at(offset)}`;
    await insert(
      'authorization_interactions',
      'id_hash, client_id, redirect_uri, redirect_uri_sent, scope, created_at, expires_at',
      [
        [
          `:tag || '-ai-${suffix}-' || g, :client, 'https://app.example.com/callback', true, 'openid', ${created(interactionExpiry)}`,
          count,
        ],
      ],
    );
    await insert(
      'device_authorizations',
      'device_code_hash, user_code_hash, client_id, scope, created_at, expires_at',
      [
        [
          `:tag || '-da-${suffix}-' || g, :tag || '-du-${suffix}-' || g, :client, 'openid', ${created(deviceExpiry)}`,
          count,
        ],
      ],
    );
  }

  // webhooks: one receiver; per event one delivery. Delivered 31 days ago / given up (last
  // attempt) 31 days ago — both deleted with their events — / created 40 days ago but retried
  // and given up 29 days ago / delivered 29 days ago / still due though created 40 days ago.
  await q(`INSERT INTO webhooks (id, url, events, secret_enc, key_id)
           VALUES (:tag || '-wh', 'https://hooks.example.com/', '{user.deleted}', 'x', 'k1')`);
  const delivery = async (
    kind: string,
    count: number,
    created: string,
    delivered: string,
    lastAttempt: string,
    next: string,
  ) => {
    await q(`INSERT INTO webhook_events (id, type, data, created_at)
             SELECT :tag || '-we-${kind}-' || g, 'user.deleted', '{}', ${created} FROM ${series(count)}`);
    await q(`INSERT INTO webhook_deliveries (id, webhook_id, event_id, attempts, next_attempt_at, delivered_at, created_at)
             SELECT :tag || '-wd-${kind}-' || g, :tag || '-wh', :tag || '-we-${kind}-' || g,
                    jsonb_build_array(jsonb_build_object('at', to_char((${lastAttempt}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'status_code', 500)),
                    ${next}, ${delivered}, ${created} FROM ${series(count)}`);
  };
  await delivery(
    'dx',
    e,
    "now() - interval '32 days'",
    "now() - interval '31 days'",
    "now() - interval '31 days'",
    'NULL',
  );
  await delivery('gx', e, "now() - interval '33 days'", 'NULL', "now() - interval '31 days'", 'NULL');
  await delivery('gk', l, "now() - interval '40 days'", 'NULL', "now() - interval '29 days'", 'NULL');
  await delivery(
    'dk',
    l,
    "now() - interval '30 days'",
    "now() - interval '29 days'",
    "now() - interval '29 days'",
    'NULL',
  );
  await delivery('due', l, "now() - interval '40 days'", 'NULL', "now() - interval '1 hour'", 'now()');

  return {
    tag,
    expired: {
      authorization_codes: e,
      refresh_tokens: e,
      revoked_families: e,
      dead_families: e,
      sessions: 2 * e,
      connect_links: 2 * e,
      // revoked jtis and client/subject denials
      revoked_access_tokens: 2 * e,
      audit_events: e,
      username_holds: e,
      authorization_interactions: e,
      device_authorizations: e,
      // delivered and given up
      webhook_deliveries: 2 * e,
      webhook_events: 2 * e,
    },
    kept: {
      authorization_codes: 2 * l,
      // the live family's live tokens and the old families' live tokens
      refresh_tokens: 2 * l,
      // the live family, revoked-but-alive, old-with-refresh, recently active
      token_families: 1 + 3 * l,
      sessions: l,
      connect_links: 2 * l,
      revoked_access_tokens: 2 * l,
      access_denials: 2 * l,
      audit_events: l,
      username_holds: l,
      // inside the margin (keep time), and live
      authorization_interactions: 2 * l,
      device_authorizations: 2 * l,
      // given up or delivered inside the retention, and due
      webhook_deliveries: 3 * l,
      webhook_events: 3 * l,
    },
  };
}

/** Rows of each table that a seed with this tag wrote and that are still there. */
export async function countSeeded(db: Queryable, tag: string): Promise<Record<string, number>> {
  const like = `${tag}-%`;
  const count = async (sql: string, param: string) => Number((await db.query<{ n: number }>(sql, [param])).rows[0]!.n);
  return {
    authorization_codes: await count(
      'SELECT count(*)::int AS n FROM authorization_codes WHERE code_hash LIKE $1',
      like,
    ),
    refresh_tokens: await count('SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash LIKE $1', like),
    token_families: await count('SELECT count(*)::int AS n FROM token_families WHERE id LIKE $1', like),
    sessions: await count('SELECT count(*)::int AS n FROM sessions WHERE id_hash LIKE $1', like),
    connect_links: await count('SELECT count(*)::int AS n FROM connect_links WHERE id LIKE $1', like),
    revoked_access_tokens: await count('SELECT count(*)::int AS n FROM revoked_access_tokens WHERE jti LIKE $1', like),
    access_denials: await count('SELECT count(*)::int AS n FROM access_denials WHERE value LIKE $1', like),
    audit_events: await count(`SELECT count(*)::int AS n FROM audit_events WHERE details->>'tag' = $1`, tag),
    username_holds: await count('SELECT count(*)::int AS n FROM username_holds WHERE username_sha256 LIKE $1', like),
    authorization_interactions: await count(
      'SELECT count(*)::int AS n FROM authorization_interactions WHERE id_hash LIKE $1',
      like,
    ),
    device_authorizations: await count(
      'SELECT count(*)::int AS n FROM device_authorizations WHERE device_code_hash LIKE $1',
      like,
    ),
    webhook_deliveries: await count('SELECT count(*)::int AS n FROM webhook_deliveries WHERE id LIKE $1', like),
    webhook_events: await count('SELECT count(*)::int AS n FROM webhook_events WHERE id LIKE $1', like),
  };
}
