import type { Database, Queryable } from '../storage/database.js';

export interface ReencryptionRepository {
  /** Locks up to `limit` Google credentials not under `activeKid` (skipping `skip`) for the transaction. */
  lockStaleCredentials(
    activeKid: string,
    skip: readonly string[],
    limit: number,
    tx: Queryable,
  ): Promise<StaleCredentialRow[]>;
  /** Stores a credential's tokens re-encrypted under `activeKid`. */
  updateCredential(
    id: string,
    access: string | null,
    refresh: string | null,
    activeKid: string,
    tx: Queryable,
  ): Promise<void>;
  /** Locks up to `limit` signing keys not under `activeKid` (skipping `skip`) for the transaction. */
  lockStaleSigningKeys(
    activeKid: string,
    skip: readonly string[],
    limit: number,
    tx: Queryable,
  ): Promise<StaleSigningKeyRow[]>;
  /** Stores a signing key's private key re-encrypted under `activeKid`. */
  updateSigningKey(kid: string, privateKeyEnc: string, activeKid: string, tx: Queryable): Promise<void>;
  /** How many credentials and signing keys are still under another key than `activeKid`. */
  countStale(activeKid: string, q?: Queryable): Promise<{ googleCredentials: number; signingKeys: number }>;
}

/** Rows whose ciphertext is (or may be) under another key than the active one. */
export interface StaleCredentialRow {
  id: string;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
}

export interface StaleSigningKeyRow {
  kid: string;
  private_key_enc: string;
}

/**
 * SQL for re-encryption under a new active key. Each batch locks the rows it takes with
 * FOR UPDATE SKIP LOCKED, so concurrent runs (or a broker refresh holding a row) never wait on
 * each other; `skip` lists rows that failed to decrypt, so they are not picked forever.
 */
export function createReencryptionRepository(db: Database): ReencryptionRepository {
  return {
    async lockStaleCredentials(activeKid, skip, limit, tx) {
      const prefix = `${activeKid}.%`;
      const r = await tx.query<StaleCredentialRow>(
        `SELECT id, access_token_enc, refresh_token_enc FROM google_credentials
          WHERE (key_id <> $1 OR access_token_enc NOT LIKE $2 OR refresh_token_enc NOT LIKE $2)
            AND NOT (id = ANY($3::text[]))
          ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [activeKid, prefix, skip, limit],
      );
      return r.rows;
    },

    async updateCredential(id, access, refresh, activeKid, tx) {
      // updated_at is left alone: the grant did not change, only its wrapping.
      await tx.query(
        `UPDATE google_credentials SET access_token_enc = $2, refresh_token_enc = $3, key_id = $4 WHERE id = $1`,
        [id, access, refresh, activeKid],
      );
    },

    async lockStaleSigningKeys(activeKid, skip, limit, tx) {
      const r = await tx.query<StaleSigningKeyRow>(
        `SELECT kid, private_key_enc FROM signing_keys
          WHERE (encryption_key_id <> $1 OR private_key_enc NOT LIKE $2) AND NOT (kid = ANY($3::text[]))
          ORDER BY kid LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [activeKid, `${activeKid}.%`, skip, limit],
      );
      return r.rows;
    },

    async updateSigningKey(kid, privateKeyEnc, activeKid, tx) {
      await tx.query(`UPDATE signing_keys SET private_key_enc = $2, encryption_key_id = $3 WHERE kid = $1`, [
        kid,
        privateKeyEnc,
        activeKid,
      ]);
    },

    async countStale(activeKid, q = db) {
      const prefix = `${activeKid}.%`;
      const r = await q.query<{ g: number; s: number }>(
        `SELECT (SELECT count(*) FROM google_credentials
                  WHERE key_id <> $1 OR access_token_enc NOT LIKE $2 OR refresh_token_enc NOT LIKE $2)::int AS g,
                (SELECT count(*) FROM signing_keys WHERE encryption_key_id <> $1 OR private_key_enc NOT LIKE $2)::int AS s`,
        [activeKid, prefix],
      );
      return { googleCredentials: r.rows[0]!.g, signingKeys: r.rows[0]!.s };
    },
  };
}
