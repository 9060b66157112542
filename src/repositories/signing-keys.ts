import type { JWK } from 'jose';
import type { Database, Queryable } from '../storage/database.js';

/** One row of signing_keys. The private key is AES-256-GCM ciphertext; it never leaves this shape in the clear. */
export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  /** Public members only (kty, crv, x, y, n, e, kid, alg, use). */
  public_jwk: JWK;
  /** keyring ciphertext of the private JWK JSON, associated data = kid. */
  private_key_enc: string;
  encryption_key_id: string;
  created_at: Date;
  retired_at: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRow, 'created_at' | 'retired_at'>;

export interface UsableSigningKeyRow extends SigningKeyRow {
  /**
   * Milliseconds this retired key may still verify, measured by the database clock (the clock
   * that stamped retired_at), so a skewed application clock cannot stretch the window; null
   * for the active key.
   */
  usable_for_ms: number | null;
}

export interface SigningKeysRepository {
  /**
   * The active key of algorithm and the keys retired less than retentionSeconds ago (by the
   * database clock, the same clock that stamped retired_at), newest first.
   */
  listUsable(algorithm: string, retentionSeconds: number, q?: Queryable): Promise<UsableSigningKeyRow[]>;
  /** Throws a unique violation when algorithm already has an active key (signing_keys_one_active_idx). */
  insert(key: NewSigningKey, q?: Queryable): Promise<void>;
  /** Stamps retired_at = now() on the active key of algorithm; returns its kid, or null when there was none. */
  retireActive(algorithm: string, q?: Queryable): Promise<string | null>;
  /** Every key's public facts (never the private part), newest first, at most 100 (admin listing). */
  listPublic(q?: Queryable): Promise<SigningKeySummary[]>;
}

export type SigningKeySummary = Pick<
  SigningKeyRow,
  'kid' | 'algorithm' | 'encryption_key_id' | 'created_at' | 'retired_at'
>;

export const ONE_ACTIVE_KEY_INDEX = 'signing_keys_one_active_idx';

const COLUMNS = 'kid, algorithm, public_jwk, private_key_enc, encryption_key_id, created_at, retired_at';

export function createSigningKeysRepository(db: Database): SigningKeysRepository {
  return {
    async listUsable(algorithm, retentionSeconds, q = db) {
      const { rows } = await q.query<UsableSigningKeyRow>(
        `SELECT ${COLUMNS},
                (extract(epoch FROM retired_at + make_interval(secs => $2) - now()) * 1000)::float8 AS usable_for_ms
           FROM signing_keys
          WHERE algorithm = $1
            AND (retired_at IS NULL OR retired_at > now() - make_interval(secs => $2))
          ORDER BY created_at DESC, kid`,
        [algorithm, retentionSeconds],
      );
      return rows.map(normaliseRow);
    },

    async insert(key, q = db) {
      await q.query(
        `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_enc, encryption_key_id)
         VALUES ($1, $2, $3, $4, $5)`,
        [key.kid, key.algorithm, JSON.stringify(key.public_jwk), key.private_key_enc, key.encryption_key_id],
      );
    },

    async listPublic(q = db) {
      const { rows } = await q.query<SigningKeySummary>(
        `SELECT kid, algorithm, encryption_key_id, created_at, retired_at FROM signing_keys
          ORDER BY created_at DESC, kid LIMIT 100`,
      );
      return rows.map((r) => ({
        ...r,
        created_at: new Date(r.created_at),
        retired_at: r.retired_at === null ? null : new Date(r.retired_at),
      }));
    },

    async retireActive(algorithm, q = db) {
      const { rows } = await q.query<{ kid: string }>(
        `UPDATE signing_keys SET retired_at = now()
          WHERE algorithm = $1 AND retired_at IS NULL
          RETURNING kid`,
        [algorithm],
      );
      return rows[0]?.kid ?? null;
    },
  };
}

/** pg and PGlite both parse jsonb and timestamptz, but a driver configured otherwise may hand back strings. */
function normaliseRow(row: UsableSigningKeyRow): UsableSigningKeyRow {
  return {
    ...row,
    usable_for_ms: row.usable_for_ms === null ? null : Number(row.usable_for_ms),
    public_jwk: typeof row.public_jwk === 'string' ? (JSON.parse(row.public_jwk) as JWK) : row.public_jwk,
    created_at: new Date(row.created_at),
    retired_at: row.retired_at === null ? null : new Date(row.retired_at),
  };
}
