import type { Database, Queryable } from '../storage/database.js';

export interface RevokedFamily {
  id: string;
  access_expires_at: Date;
}

const statements = {
  async insert(
    db: Queryable,
    f: {
      id: string;
      client_id: string;
      user_id: string | null;
      scope: string;
      access_expires_at: Date;
      auth_time?: Date | null;
    },
  ): Promise<void> {
    await db.query(
      'INSERT INTO token_families (id, client_id, user_id, scope, access_expires_at, auth_time) VALUES ($1, $2, $3, $4, $5, $6)',
      [f.id, f.client_id, f.user_id, f.scope, f.access_expires_at, f.auth_time ?? null],
    );
  },

  /** Keeps access_expires_at at the latest access token issued, so a revocation denies them all. */
  async extendAccessExpiry(db: Queryable, id: string, accessExpiresAt: Date): Promise<void> {
    await db.query('UPDATE token_families SET access_expires_at = GREATEST(access_expires_at, $2) WHERE id = $1', [
      id,
      accessExpiresAt,
    ]);
  },

  /** Revokes the family (idempotent) and returns it, or null when there is no such family. */
  async revoke(db: Queryable, id: string, reason: string): Promise<RevokedFamily | null> {
    const { rows } = await db.query<RevokedFamily>(
      `UPDATE token_families SET revoked_at = COALESCE(revoked_at, now()), revoked_reason = COALESCE(revoked_reason, $2)
       WHERE id = $1 RETURNING id, access_expires_at`,
      [id, reason],
    );
    return rows[0] ?? null;
  },

  /** Every family of a user for a client (account page revoke, external revoke, logout). */
  async revokeForUserAndClient(
    db: Queryable,
    userId: string,
    clientId: string,
    reason: string,
  ): Promise<RevokedFamily[]> {
    const { rows } = await db.query<RevokedFamily>(
      `UPDATE token_families SET revoked_at = now(), revoked_reason = $3
       WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL RETURNING id, access_expires_at`,
      [userId, clientId, reason],
    );
    return rows;
  },

  /** Every live family of a user, whatever the client (an admin's "sign out everywhere"). */
  async revokeForUser(db: Queryable, userId: string, reason: string): Promise<RevokedFamily[]> {
    const { rows } = await db.query<RevokedFamily>(
      `UPDATE token_families SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL RETURNING id, access_expires_at`,
      [userId, reason],
    );
    return rows;
  },

  /** Apps holding a live grant of the user: an unrevoked family with a live refresh or access token. */
  async appsOfUser(
    db: Queryable,
    userId: string,
  ): Promise<{ client_id: string; app_name: string; scope: string; since: Date }[]> {
    const { rows } = await db.query<{ client_id: string; app_name: string; scope: string; since: Date }>(
      `SELECT f.client_id, c.app_name, string_agg(DISTINCT f.scope, ' ') AS scope, min(f.created_at) AS since
       FROM token_families f JOIN clients c ON c.id = f.client_id
       WHERE f.user_id = $1 AND f.revoked_at IS NULL
         AND (f.access_expires_at > now()
              OR EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id AND r.rotated_at IS NULL AND r.expires_at > now()))
       GROUP BY f.client_id, c.app_name
       ORDER BY min(f.created_at)`,
      [userId],
    );
    return rows;
  },
};

/** A family row as insert takes it (the statement's own parameter). */
type NewTokenFamily = Parameters<typeof statements.insert>[1];

export interface TokenFamiliesRepository {
  /** Creates the family a new grant's tokens belong to. */
  insert(f: NewTokenFamily, q?: Queryable): Promise<void>;
  /** Keeps access_expires_at at the latest access token issued, so a revocation denies them all. */
  extendAccessExpiry(id: string, accessExpiresAt: Date, q?: Queryable): Promise<void>;
  /** Revokes the family (idempotent) and returns it, or null when there is no such family. */
  revoke(id: string, reason: string, q?: Queryable): Promise<RevokedFamily | null>;
  /** Every family of a user for a client (account page revoke, external revoke, logout). */
  revokeForUserAndClient(userId: string, clientId: string, reason: string, q?: Queryable): Promise<RevokedFamily[]>;
  /** Every live family of a user, whatever the client (sign out everywhere). */
  revokeForUser(userId: string, reason: string, q?: Queryable): Promise<RevokedFamily[]>;
  /** Apps holding a live grant of the user: an unrevoked family with a live refresh or access token. */
  appsOfUser(
    userId: string,
    q?: Queryable,
  ): Promise<{ client_id: string; app_name: string; scope: string; since: Date }[]>;
}

export function createTokenFamiliesRepository(db: Database): TokenFamiliesRepository {
  return {
    insert: (f, q = db) => statements.insert(q, f),
    extendAccessExpiry: (id, accessExpiresAt, q = db) => statements.extendAccessExpiry(q, id, accessExpiresAt),
    revoke: (id, reason, q = db) => statements.revoke(q, id, reason),
    revokeForUserAndClient: (userId, clientId, reason, q = db) =>
      statements.revokeForUserAndClient(q, userId, clientId, reason),
    revokeForUser: (userId, reason, q = db) => statements.revokeForUser(q, userId, reason),
    appsOfUser: (userId, q = db) => statements.appsOfUser(q, userId),
  };
}
