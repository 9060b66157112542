import type { Database, Queryable } from '../storage/database.js';

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

export interface AuthorizationCodesRepository {
  /** Stores a new code (only its hash); it is redeemable until expires_at, once. */
  insert(c: NewAuthorizationCode, q?: Queryable): Promise<void>;
  /** Locks the code row for the rest of the transaction, so concurrent redemptions queue up. */
  findForUpdate(codeHash: string, tx: Queryable): Promise<AuthorizationCode | null>;
  /** Single use: marks the code consumed and records the family its tokens belong to. */
  consume(codeHash: string, familyId: string, tx: Queryable): Promise<boolean>;
  /**
   * Voids the codes a user's authorization gave a client that were not redeemed yet ("Remove
   * access"). A redemption in flight holds its code's lock: this waits for it, and then leaves
   * the consumed code alone (replay detection needs it).
   */
  deleteUnredeemed(userId: string, clientId: string, tx: Queryable): Promise<number>;
  /** Every code of the user not yet redeemed, whatever the client (sign out everywhere). */
  deleteUnredeemedForUser(userId: string, tx: Queryable): Promise<number>;
}

export function createAuthorizationCodesRepository(db: Database): AuthorizationCodesRepository {
  return {
    async insert(c, q = db) {
      await q.query(
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

    async findForUpdate(codeHash, tx) {
      const { rows } = await tx.query<AuthorizationCode>(
        `SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = $1 FOR UPDATE`,
        [codeHash],
      );
      return rows[0] ?? null;
    },

    async consume(codeHash, familyId, tx) {
      const r = await tx.query(
        'UPDATE authorization_codes SET consumed_at = now(), family_id = $2 WHERE code_hash = $1 AND consumed_at IS NULL',
        [codeHash, familyId],
      );
      return r.rowCount === 1;
    },

    async deleteUnredeemed(userId, clientId, tx) {
      const r = await tx.query(
        'DELETE FROM authorization_codes WHERE user_id = $1 AND client_id = $2 AND consumed_at IS NULL',
        [userId, clientId],
      );
      return r.rowCount;
    },

    async deleteUnredeemedForUser(userId, tx) {
      const r = await tx.query('DELETE FROM authorization_codes WHERE user_id = $1 AND consumed_at IS NULL', [userId]);
      return r.rowCount;
    },
  };
}
