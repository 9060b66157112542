import type { Queryable } from '../storage/database.js';

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
  username: string | null;
}

export const refreshTokensRepository = {
  async insert(db: Queryable, t: { token_hash: string; family_id: string; client_id: string; user_id: string | null; scope: string; expires_at: Date }): Promise<void> {
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
              r.rotated_at, r.replaced_by, r.grace_used, f.revoked_at AS family_revoked_at, u.username
       FROM refresh_tokens r
       JOIN token_families f ON f.id = r.family_id
       LEFT JOIN users u ON u.id = r.user_id
       WHERE r.token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ?? null;
  },

  async markRotated(db: Queryable, tokenHash: string, replacedBy: string): Promise<void> {
    await db.query('UPDATE refresh_tokens SET rotated_at = now(), replaced_by = $2 WHERE token_hash = $1', [tokenHash, replacedBy]);
  },

  /** The grace retry: the previous token is re-pointed at the newest one and cannot retry again. */
  async spendGrace(db: Queryable, tokenHash: string, replacedBy: string): Promise<void> {
    await db.query('UPDATE refresh_tokens SET grace_used = true, replaced_by = $2 WHERE token_hash = $1', [tokenHash, replacedBy]);
  },
};
