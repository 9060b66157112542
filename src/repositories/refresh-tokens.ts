import type { AuditRecord } from '../audit/audit-event.js';
import type { Database, Queryable } from '../storage/database.js';
import { USER_CLAIM_COLUMNS, type UserClaims } from './user-claims.js';

export interface RefreshTokenRecord {
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  expires_at: Date;
  created_at: Date;
  rotated_at: Date | null;
  replaced_by: string | null;
  grace_used: boolean;
  family_revoked_at: Date | null;
  /** When the person authenticated for the grant (OIDC Core §12.2: refreshed ID tokens keep it). */
  family_auth_time: Date | null;
  username: string | null;
}

/** A token as the refresh grant reads it: with its user's current claims (null: no such user). */
export interface RefreshTokenWithUser extends RefreshTokenRecord {
  user: UserClaims | null;
}

/** One rotation: the presented token is spent and `new_hash` becomes the family's head. */
export interface Rotation {
  token_hash: string;
  family_id: string;
  client_id: string;
  new_hash: string;
  /** Stored with the new token: the original grant's scope (RFC 6749 §6). */
  scope: string;
  expires_at: Date;
  /** The new access token's expiry; the family's access_expires_at is raised to it. */
  access_expires_at: Date;
}

/** What a rotation needs to know beforehand; everything else comes from the stored token. */
export interface OneStatementRotation {
  token_hash: string;
  /** Only this client's token rotates (RFC 6749 §6). */
  client_id: string;
  new_hash: string;
  /** The new token's expiry; it keeps the presented token's scope (RFC 6749 §6). */
  expires_at: Date;
  /** The new access token's expiry: the family's access_expires_at must reach it. */
  access_expires_at: Date;
  /**
   * What access_expires_at is raised to when it is below access_expires_at: later than needed,
   * so that the next rotations of the family find it high enough and leave the row alone.
   */
  extend_access_to: Date;
  /** The caller's clock, which decides whether the presented token has expired. */
  now: Date;
  /** The refresh's audit event: inserted by the same statement, only when it rotates. */
  audit: AuditRecord;
}

type TokenAndUserRow = RefreshTokenRecord & Omit<UserClaims, 'id' | 'username'>;

const TOKEN_AND_USER_COLUMNS = `r.token_hash, r.family_id, r.client_id, r.user_id, r.scope, r.expires_at, r.created_at,
  r.rotated_at, r.replaced_by, r.grace_used, f.revoked_at AS family_revoked_at, f.auth_time AS family_auth_time, ${USER_CLAIM_COLUMNS}`;

function withUser(row: TokenAndUserRow): RefreshTokenWithUser {
  const { email, email_verified, name, first_name, last_name, picture, ...record } = row;
  const user =
    row.user_id !== null && row.username !== null
      ? { id: row.user_id, username: row.username, email, email_verified, name, first_name, last_name, picture }
      : null;
  return { ...record, user };
}

const statements = {
  async insert(
    db: Queryable,
    t: {
      token_hash: string;
      family_id: string;
      client_id: string;
      user_id: string | null;
      scope: string;
      expires_at: Date;
    },
  ): Promise<void> {
    await db.query(
      'INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [t.token_hash, t.family_id, t.client_id, t.user_id, t.scope, t.expires_at],
    );
  },

  /**
   * Locks the family a token belongs to and returns its id. The family row is the one lock every
   * change to a family's tokens takes first, so concurrent refreshes, reuse detection and
   * revocation queue behind each other and never deadlock.
   */
  async lockFamilyOf(tx: Queryable, tokenHash: string): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(
      'SELECT f.id FROM token_families f WHERE f.id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) FOR UPDATE',
      [tokenHash],
    );
    return rows[0]?.id ?? null;
  },

  /** The token with its family's state and the user's current username. */
  async find(db: Queryable, tokenHash: string): Promise<RefreshTokenRecord | null> {
    const { rows } = await db.query<RefreshTokenRecord>(
      `SELECT r.token_hash, r.family_id, r.client_id, r.user_id, r.scope, r.expires_at, r.created_at,
              r.rotated_at, r.replaced_by, r.grace_used, f.revoked_at AS family_revoked_at, f.auth_time AS family_auth_time, u.username
       FROM refresh_tokens r
       JOIN token_families f ON f.id = r.family_id
       LEFT JOIN users u ON u.id = r.user_id
       WHERE r.token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ?? null;
  },

  /** find, plus the user's claims in the same round trip (the refresh grant signs with them). */
  async findWithUser(db: Queryable, tokenHash: string): Promise<RefreshTokenWithUser | null> {
    const { rows } = await db.query<TokenAndUserRow>(
      `SELECT ${TOKEN_AND_USER_COLUMNS}
       FROM refresh_tokens r
       JOIN token_families f ON f.id = r.family_id
       LEFT JOIN users u ON u.id = r.user_id
       WHERE r.token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? withUser(rows[0]) : null;
  },

  /**
   * Rotates atomically in one statement (an implicit transaction when run outside one), and only
   * if the presented token is still the family's unrotated head and the family is not revoked:
   * a compare-and-set. Returns false when it changed nothing.
   *
   * Why this is correct without a prior SELECT … FOR UPDATE, under READ COMMITTED: each UPDATE
   * locks its row and, when that row was changed after the statement's snapshot (or is being
   * changed by a transaction it then waits for), re-evaluates its WHERE clause against the
   * newest committed version (EvalPlanQual). So `revoked_at IS NULL` and `rotated_at IS NULL` are
   * checked on current rows, not on what an earlier read saw: of concurrent rotations of one
   * token exactly one matches, and a revocation committed first makes the rotation a no-op. The
   * join on `family` makes the family row's lock come first, as on every other path that changes
   * a family's tokens (lockFamilyOf), so the two locks are always taken in the same order and
   * cannot deadlock. The INSERT reads only what the token UPDATE returned, so nothing is stored
   * unless the compare-and-set won. A loser may still have raised access_expires_at to its own
   * unused access token's expiry, at most the race's few milliseconds past the winner's: that
   * only keeps a revoked family on the deny list that much longer.
   */
  async rotate(db: Queryable, r: Rotation): Promise<boolean> {
    const { rows } = await db.query(
      `WITH family AS (
         UPDATE token_families SET access_expires_at = GREATEST(access_expires_at, $5)
         WHERE id = $2 AND revoked_at IS NULL
         RETURNING id
       ), spent AS (
         UPDATE refresh_tokens t SET rotated_at = now(), replaced_by = $4
         FROM family
         WHERE t.token_hash = $1 AND t.family_id = family.id AND t.client_id = $3 AND t.rotated_at IS NULL
         RETURNING t.family_id, t.client_id, t.user_id
       )
       INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
       SELECT $4, family_id, client_id, user_id, $6, $7 FROM spent
       RETURNING token_hash`,
      [r.token_hash, r.family_id, r.client_id, r.new_hash, r.access_expires_at, r.scope, r.expires_at],
    );
    return rows.length === 1;
  },

  /**
   * The whole normal rotation in one round trip: reads the token with its family and user (as
   * findWithUser) and, only when it is this client's unrotated, unexpired token of a user and an
   * unrevoked family, rotates it exactly as rotate does and inserts the refresh's audit event, in
   * the same statement (one implicit transaction: the event commits with the rotation or not at
   * all, and a refresh waits for one commit, not two). Returns the token as read, whether it
   * rotated, or null for an unknown token.
   *
   * The read is the statement's snapshot and may be stale by the time the family row is locked;
   * it only decides whether to attempt the rotation. The decisive conditions are re-checked on
   * the newest rows, as in rotate: `revoked_at IS NULL` by the family's row lock (a locking
   * SELECT re-evaluates its WHERE clause on the newest version after waiting, like an UPDATE)
   * and `rotated_at IS NULL` by the token UPDATE; the others (client, expiry, user, scope) never
   * change on a stored token. Prepared: it is the statement of every normal refresh.
   *
   * The family row is locked (FOR NO KEY UPDATE, the mode of rotate's UPDATE and of revoke's, so
   * they still queue) and only written when its access_expires_at is below the new access
   * token's expiry; it is then raised to `extend_access_to`, past what this rotation needs, so
   * most rotations find it high enough and write nothing to the family. An UPDATE of an indexed
   * column is never HOT: writing it on every rotation cost a new row version and four index
   * entries each time. A revocation, queued behind the lock, reads a value that covers every
   * access token the family has issued; it may keep the family on the deny list up to the
   * headroom longer than strictly needed.
   */
  async findAndRotate(
    db: Queryable,
    r: OneStatementRotation,
  ): Promise<{ token: RefreshTokenWithUser; rotated: boolean } | null> {
    const { rows } = await db.query<TokenAndUserRow & { rotated: boolean }>(
      `WITH token AS (
         SELECT ${TOKEN_AND_USER_COLUMNS}
         FROM refresh_tokens r
         JOIN token_families f ON f.id = r.family_id
         LEFT JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = $1
       ), family AS (
         SELECT f.id, f.access_expires_at
         FROM token_families f
         JOIN token ON f.id = token.family_id
         WHERE f.revoked_at IS NULL
           AND token.client_id = $2 AND token.rotated_at IS NULL AND token.expires_at > $6 AND token.username IS NOT NULL
         FOR NO KEY UPDATE OF f
       ), extended AS (
         UPDATE token_families f SET access_expires_at = GREATEST(f.access_expires_at, $7)
         FROM family
         WHERE f.id = family.id AND family.access_expires_at < $4
       ), spent AS (
         UPDATE refresh_tokens t SET rotated_at = now(), replaced_by = $3
         FROM family
         WHERE t.token_hash = $1 AND t.family_id = family.id AND t.rotated_at IS NULL
         RETURNING t.family_id, t.client_id, t.user_id, t.scope
       ), issued AS (
         INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, expires_at)
         SELECT $3, family_id, client_id, user_id, scope, $5 FROM spent
         RETURNING token_hash
       ), audited AS (
         INSERT INTO audit_events (occurred_at, event, actor, subject, client_id, ip, details)
         SELECT $8::timestamptz, $9, $10, $11, $12, $13, $14::jsonb FROM issued
       )
       SELECT token.*, EXISTS (SELECT 1 FROM issued) AS rotated FROM token`,
      [
        r.token_hash,
        r.client_id,
        r.new_hash,
        r.access_expires_at,
        r.expires_at,
        r.now,
        r.extend_access_to,
        r.audit.occurred_at,
        r.audit.event,
        r.audit.actor ?? null,
        r.audit.subject ?? null,
        r.audit.client_id ?? null,
        r.audit.ip ?? null,
        r.audit.details_json,
      ],
      { prepareAs: 'refresh_tokens.find_and_rotate' },
    );
    const row = rows[0];
    if (!row) return null;
    const { rotated, ...token } = row;
    return { token: withUser(token), rotated };
  },

  async markRotated(db: Queryable, tokenHash: string, replacedBy: string): Promise<void> {
    await db.query('UPDATE refresh_tokens SET rotated_at = now(), replaced_by = $2 WHERE token_hash = $1', [
      tokenHash,
      replacedBy,
    ]);
  },

  /** The grace retry: the previous token is re-pointed at the newest one and cannot retry again. */
  async spendGrace(db: Queryable, tokenHash: string, replacedBy: string): Promise<void> {
    await db.query('UPDATE refresh_tokens SET grace_used = true, replaced_by = $2 WHERE token_hash = $1', [
      tokenHash,
      replacedBy,
    ]);
  },

  /**
   * Moves a grant to another family (the grace retry): its refresh tokens, and the code it was
   * redeemed from, so a replay of that code still ends the grant. The new family must exist.
   */
  async moveToFamily(tx: Queryable, fromFamilyId: string, toFamilyId: string): Promise<void> {
    await tx.query('UPDATE refresh_tokens SET family_id = $2 WHERE family_id = $1', [fromFamilyId, toFamilyId]);
    await tx.query('UPDATE authorization_codes SET family_id = $2 WHERE family_id = $1', [fromFamilyId, toFamilyId]);
  },
};

/** A refresh token row as insert takes it (the statement's own parameter). */
type NewRefreshToken = Parameters<typeof statements.insert>[1];

export interface RefreshTokensRepository {
  /** Stores a new refresh token (only its hash) in an existing family. */
  insert(t: NewRefreshToken, q?: Queryable): Promise<void>;
  /** Locks the family a token belongs to and returns its id. */
  lockFamilyOf(tokenHash: string, tx: Queryable): Promise<string | null>;
  /** The token with its family's state and the user's current username. */
  find(tokenHash: string, q?: Queryable): Promise<RefreshTokenRecord | null>;
  /** find, plus the user's claims in the same round trip (the refresh grant signs with them). */
  findWithUser(tokenHash: string, q?: Queryable): Promise<RefreshTokenWithUser | null>;
  /** Compare-and-set rotation in one statement; false when the token was no longer the unrotated head. */
  rotate(r: Rotation, q?: Queryable): Promise<boolean>;
  /** find, rotate and audit in one statement (the normal refresh); null for an unknown token. */
  findAndRotate(
    r: OneStatementRotation,
    q?: Queryable,
  ): Promise<{ token: RefreshTokenWithUser; rotated: boolean } | null>;
  /** Marks a token rotated and points it at its successor. */
  markRotated(tokenHash: string, replacedBy: string, q?: Queryable): Promise<void>;
  /** The grace retry: the previous token is re-pointed at the newest one and cannot retry again. */
  spendGrace(tokenHash: string, replacedBy: string, q?: Queryable): Promise<void>;
  /** Moves a grant's refresh tokens and code to another (existing) family: the grace retry. */
  moveToFamily(fromFamilyId: string, toFamilyId: string, tx: Queryable): Promise<void>;
}

export function createRefreshTokensRepository(db: Database): RefreshTokensRepository {
  return {
    insert: (t, q = db) => statements.insert(q, t),
    lockFamilyOf: (tokenHash, tx) => statements.lockFamilyOf(tx, tokenHash),
    find: (tokenHash, q = db) => statements.find(q, tokenHash),
    findWithUser: (tokenHash, q = db) => statements.findWithUser(q, tokenHash),
    rotate: (r, q = db) => statements.rotate(q, r),
    findAndRotate: (r, q = db) => statements.findAndRotate(q, r),
    markRotated: (tokenHash, replacedBy, q = db) => statements.markRotated(q, tokenHash, replacedBy),
    spendGrace: (tokenHash, replacedBy, q = db) => statements.spendGrace(q, tokenHash, replacedBy),
    moveToFamily: (fromFamilyId, toFamilyId, tx) => statements.moveToFamily(tx, fromFamilyId, toFamilyId),
  };
}
