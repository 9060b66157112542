import type { Database, Queryable } from '../storage/database.js';

/** What one janitor pass deletes, in the order it deletes it. */
export const JANITOR_KINDS = [
  'authorization_codes',
  'refresh_tokens',
  'revoked_families',
  'dead_families',
  'sessions',
  'connect_links',
  'revoked_access_tokens',
  'audit_events',
  'username_holds',
  'authorization_interactions',
  'device_authorizations',
  'webhook_deliveries',
  'webhook_events',
  'google_credentials',
] as const;
export type JanitorKind = (typeof JANITOR_KINDS)[number];

export interface ExpiryPolicy {
  /** Rows whose expiry passed less than this long ago are kept (clock skew, verification tolerance). */
  marginSeconds: number;
  /** Used or expired codes are kept this long, so a late replay still revokes what the code issued. */
  codeKeepSeconds: number;
  /** Used or expired connect links are kept this long (a person who opens one late is told why). */
  connectLinkKeepSeconds: number;
  /** security.refresh_token_expiry_days: see deadFamilies. */
  refreshTokenDays: number;
  /** audit.retention_days */
  auditRetentionDays: number;
  /** Expired device authorizations are kept this long, so a late poll is still told expired_token. */
  deviceKeepSeconds: number;
  /** Released usernames stay held this long (the username_holds_guard trigger's 30 days). */
  usernameHoldDays: number;
  /** webhooks.delivery_retention_days */
  webhookRetentionDays: number;
}

/**
 * One batch statement: `$1` is the batch size, the rest come from `params`. Every statement
 * deletes the rows its sub-select locked with FOR UPDATE SKIP LOCKED: two instances running
 * at once each take rows the other has not, and a row an OAuth request holds is left for the
 * next pass instead of being waited for. The ORDER BY on the indexed column keeps the planner
 * on the index (a sequential scan would re-read the dead rows of earlier batches each time).
 * `key = ANY(ARRAY(sub-select))` rather than `key IN (sub-select)`: with IN the planner may
 * hash-join the batch against a sequential scan of the whole table; an array is probed through
 * the primary key.
 */
export interface BatchStatement {
  sql: string;
  params: unknown[];
}

/**
 * The usual BatchStatement: up to `$1` rows of `table` that `where` selects, earliest `order`
 * first, deleted by primary key `key`.
 */
function batchDelete(table: string, key: string, where: string, order: string, params: unknown[]): BatchStatement {
  return {
    sql: `DELETE FROM ${table} WHERE ${key} = ANY(ARRAY(
            SELECT ${key} FROM ${table} WHERE ${where}
            ORDER BY ${order} LIMIT $1 FOR UPDATE SKIP LOCKED))`,
    params,
  };
}

/** `$2` is the margin (or keep time) in seconds in every statement that uses this. */
const BEFORE_SECS = 'now() - make_interval(secs => $2)';
/** `$2` is a retention in days in every statement that uses this. */
const DAYS_AGO = 'now() - make_interval(days => $2)';

/** The batch statements of each kind except google_credentials (that one calls Google first). */
export function janitorStatements(
  p: ExpiryPolicy,
): Record<Exclude<JanitorKind, 'google_credentials'>, BatchStatement[]> {
  const margin = [p.marginSeconds];
  return {
    authorization_codes: [
      batchDelete('authorization_codes', 'code_hash', `expires_at < ${BEFORE_SECS}`, 'expires_at', [p.codeKeepSeconds]),
    ],
    refresh_tokens: [batchDelete('refresh_tokens', 'token_hash', `expires_at < ${BEFORE_SECS}`, 'expires_at', margin)],
    // A revoked family is needed only while the deny list must refuse its access tokens.
    // Its refresh tokens go with it (ON DELETE CASCADE); codes keep their row (SET NULL).
    revoked_families: [
      batchDelete(
        'token_families',
        'id',
        `revoked_at IS NOT NULL AND access_expires_at < ${BEFORE_SECS}`,
        'access_expires_at',
        margin,
      ),
    ],
    // An unrevoked family is dead once no access or refresh token of it can be live. Every token
    // response extends access_expires_at and a refresh token lives at most refresh_token_expiry_days
    // from the response that carried it, so a family whose last access token is older than that
    // has no live refresh token. Cutting on that keeps the scan to dead families only, instead of
    // re-checking every active family on every pass; the NOT EXISTS still guards against a
    // refresh lifetime that was shortened since older tokens were issued. Its OFFSET 0 keeps it
    // a per-family probe of refresh_tokens_family_idx: as an anti-join the planner may hash the
    // whole refresh_tokens table instead.
    dead_families: [
      {
        sql: `DELETE FROM token_families WHERE id = ANY(ARRAY(
              SELECT f.id FROM token_families f
              WHERE f.revoked_at IS NULL
                AND f.access_expires_at < now() - make_interval(days => $3) - make_interval(secs => $2)
                AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id AND r.expires_at > now() OFFSET 0)
              ORDER BY f.access_expires_at LIMIT $1 FOR UPDATE OF f SKIP LOCKED))`,
        params: [p.marginSeconds, p.refreshTokenDays],
      },
    ],
    // Two statements rather than one with OR, so each walks its own index in order.
    sessions: [
      batchDelete('sessions', 'id_hash', 'idle_expires_at < now()', 'idle_expires_at', []),
      batchDelete('sessions', 'id_hash', 'expires_at < now()', 'expires_at', []),
    ],
    connect_links: [
      batchDelete('connect_links', 'id', `expires_at < ${BEFORE_SECS}`, 'expires_at', [p.connectLinkKeepSeconds]),
      batchDelete('connect_links', 'id', `used_at IS NOT NULL AND used_at < ${BEFORE_SECS}`, 'used_at', [
        p.connectLinkKeepSeconds,
      ]),
    ],
    // Deny-list rows past their expiry: revoked jtis, and client and subject denials.
    revoked_access_tokens: [
      batchDelete('revoked_access_tokens', 'jti', `expires_at < ${BEFORE_SECS}`, 'expires_at', margin),
      batchDelete('access_denials', 'id', `expires_at < ${BEFORE_SECS}`, 'expires_at', margin),
    ],
    audit_events: [
      batchDelete('audit_events', 'id', 'occurred_at < now() - make_interval(days => $2)', 'occurred_at', [
        p.auditRetentionDays,
      ]),
    ],
    // Past the hold the trigger ignores the row; it only keeps a name's hash.
    username_holds: [
      batchDelete(
        'username_holds',
        'username_sha256',
        'released_at < now() - make_interval(days => $2)',
        'released_at',
        [p.usernameHoldDays],
      ),
    ],
    authorization_interactions: [
      batchDelete('authorization_interactions', 'id_hash', `expires_at < ${BEFORE_SECS}`, 'expires_at', margin),
    ],
    device_authorizations: [
      batchDelete('device_authorizations', 'device_code_hash', `expires_at < ${BEFORE_SECS}`, 'expires_at', [
        p.deviceKeepSeconds,
      ]),
    ],
    // Finished = next_attempt_at NULL (delivered, or given up; a leased one holds its lease end).
    // It finished at its last attempt, or when delivered (an admin retry of a delivered one adds
    // a later attempt). A delivery finishes after it is created, so the created_at bound walks
    // webhook_deliveries_finished_idx and the exact finish time filters what it finds.
    webhook_deliveries: [
      batchDelete(
        'webhook_deliveries',
        'id',
        `next_attempt_at IS NULL AND created_at < ${DAYS_AGO}
         AND COALESCE(GREATEST(delivered_at, (attempts->-1->>'at')::timestamptz), created_at) < ${DAYS_AGO}`,
        'created_at',
        [p.webhookRetentionDays],
      ),
    ],
    // Events no delivery refers to any more (the outbox writes an event with its deliveries, so a
    // recent event always has some). OFFSET 0 keeps the NOT EXISTS a per-event probe of
    // webhook_deliveries_event_idx, as in dead_families.
    webhook_events: [
      batchDelete(
        'webhook_events',
        'id',
        `created_at < ${DAYS_AGO}
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id OFFSET 0)`,
        'created_at',
        [p.webhookRetentionDays],
      ),
    ],
  };
}

/** The last sign of life of a credential; the expression of google_credentials_last_activity_idx. */
const LAST_ACTIVITY = 'GREATEST(last_used_at, last_refreshed_at, updated_at)';

export interface JanitorRepository {
  /** Runs one batch statement (`$1` the batch size); returns how many rows it deleted. */
  deleteBatch(statement: BatchStatement, batchSize: number, q?: Queryable): Promise<number>;
  /**
   * Locks up to `limit` credentials idle for `days` (skipping any another instance or a broker
   * request holds) for the rest of the transaction.
   */
  lockUnused(days: number, limit: number, tx: Queryable): Promise<string[]>;
  /** Deletes the given credentials (locked by lockUnused in the same transaction). */
  deleteByIds(ids: readonly string[], tx: Queryable): Promise<number>;
}

export function createJanitorRepository(db: Database): JanitorRepository {
  return {
    async deleteBatch(statement, batchSize, q = db) {
      const { rowCount } = await q.query(statement.sql, [batchSize, ...statement.params]);
      return rowCount;
    },

    async lockUnused(days, limit, tx) {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM google_credentials WHERE ${LAST_ACTIVITY} < now() - make_interval(days => $1)
         ORDER BY ${LAST_ACTIVITY} LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [days, limit],
      );
      return rows.map((r) => r.id);
    },

    async deleteByIds(ids, tx) {
      const r = await tx.query('DELETE FROM google_credentials WHERE id = ANY($1::text[])', [ids]);
      return r.rowCount;
    },
  };
}
