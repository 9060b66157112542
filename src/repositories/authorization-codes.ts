import type { Queryable } from '../storage/database.js';

export interface AuthorizationCode {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string | null;
  scope: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  auth_time: Date;
  expires_at: Date;
  consumed_at: Date | null;
  family_id: string | null;
}

export type NewAuthorizationCode = Omit<AuthorizationCode, 'consumed_at' | 'family_id' | 'auth_time'> & {
  auth_time?: Date;
};

const COLUMNS = `code_hash, client_id, user_id, redirect_uri, scope, code_challenge, code_challenge_method,
  nonce, auth_time, expires_at, consumed_at, family_id`;

export const authorizationCodesRepository = {
  async insert(db: Queryable, c: NewAuthorizationCode): Promise<void> {
    await db.query(
      `INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge,
         code_challenge_method, nonce, auth_time, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, now()), $10)`,
      [
        c.code_hash,
        c.client_id,
        c.user_id,
        c.redirect_uri,
        c.scope,
        c.code_challenge,
        c.code_challenge_method,
        c.nonce,
        c.auth_time ?? null,
        c.expires_at,
      ],
    );
  },

  /** Locks the code row for the rest of the transaction, so concurrent redemptions queue up. */
  async findForUpdate(tx: Queryable, codeHash: string): Promise<AuthorizationCode | null> {
    const { rows } = await tx.query<AuthorizationCode>(
      `SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = $1 FOR UPDATE`,
      [codeHash],
    );
    return rows[0] ?? null;
  },

  /** Single use: marks the code consumed and records the family its tokens belong to. */
  async consume(tx: Queryable, codeHash: string, familyId: string): Promise<boolean> {
    const r = await tx.query(
      'UPDATE authorization_codes SET consumed_at = now(), family_id = $2 WHERE code_hash = $1 AND consumed_at IS NULL',
      [codeHash, familyId],
    );
    return r.rowCount === 1;
  },

  /**
   * Voids the codes a user's authorization gave a client that were not redeemed yet ("Remove
   * access"). A redemption in flight holds its code's lock: this waits for it, and then leaves
   * the consumed code alone (replay detection needs it).
   */
  async deleteUnredeemed(tx: Queryable, userId: string, clientId: string): Promise<number> {
    const r = await tx.query(
      'DELETE FROM authorization_codes WHERE user_id = $1 AND client_id = $2 AND consumed_at IS NULL',
      [userId, clientId],
    );
    return r.rowCount;
  },

  /** Every code of the user not yet redeemed, whatever the client. */
  async deleteUnredeemedForUser(tx: Queryable, userId: string): Promise<number> {
    const r = await tx.query('DELETE FROM authorization_codes WHERE user_id = $1 AND consumed_at IS NULL', [userId]);
    return r.rowCount;
  },
};
