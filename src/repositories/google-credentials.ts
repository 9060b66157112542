import { DecryptionError, type Keyring } from '../crypto/keyring.js';
import { randomId } from '../crypto/random.js';
import type { Database, Queryable } from '../storage/database.js';

/** Whose Google grant a credential holds: a person (browser sign-in) or an external connection. */
export type CredentialOwner = { userId: string } | { connectionId: string };

/** A credential as callers see it: metadata only. Plaintext comes only from decryptTokens. */
export interface GoogleCredential {
  id: string;
  userId: string | null;
  connectionId: string | null;
  googleSub: string | null;
  email: string | null;
  scopes: string[];
  accessTokenExpiresAt: Date | null;
  hasRefreshToken: boolean;
  keyId: string;
  status: 'active' | 'reauth_required';
  lastRefreshedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A credential just saved, and the status it had before (null: the row is new). */
export type SavedCredential = GoogleCredential & { previousStatus: GoogleCredential['status'] | null };

/** Tokens Google just returned (code exchange or refresh). */
export interface GoogleGrant {
  accessToken: string;
  /** Seconds, as Google's expires_in. */
  expiresIn: number;
  /** Absent when Google returned none: the one already held is kept. */
  refreshToken?: string | undefined;
  /** Space-separated, as Google's scope; absent keeps the stored scopes. */
  scope?: string | undefined;
  googleSub?: string | undefined;
  email?: string | undefined;
}

export interface DecryptedGoogleTokens {
  accessToken: string | null;
  refreshToken: string | null;
}

interface CredentialRow {
  id: string;
  user_id: string | null;
  connection_id: string | null;
  google_sub: string | null;
  email: string | null;
  scopes: string;
  access_token_enc: string | null;
  access_token_expires_at: Date | string | null;
  refresh_token_enc: string | null;
  key_id: string;
  status: 'active' | 'reauth_required';
  last_refreshed_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface GoogleCredentialsRepository {
  /**
   * Stores what Google returned for an owner, creating the row or updating it in place:
   * tokens encrypted, a missing refresh token keeps the held one, status back to 'active'.
   */
  save(owner: CredentialOwner, grant: GoogleGrant, tx?: Queryable): Promise<SavedCredential>;
  findByOwner(owner: CredentialOwner, q?: Queryable): Promise<GoogleCredential | null>;
  findById(id: string, q?: Queryable): Promise<GoogleCredential | null>;
  /** findById holding the row lock until tx ends (the broker's refresh without Redis). */
  findByIdForUpdate(id: string, tx: Queryable): Promise<GoogleCredential | null>;
  /** The only way to plaintext. Callers must not log or return the refresh token. */
  decryptTokens(id: string, q?: Queryable): Promise<DecryptedGoogleTokens | null>;
  /** Google said invalid_grant: the person must connect again. */
  markReauthRequired(id: string, q?: Queryable): Promise<void>;
}

const COLUMNS = `id, user_id, connection_id, google_sub, email, scopes, access_token_enc, access_token_expires_at,
  refresh_token_enc, key_id, status, last_refreshed_at, created_at, updated_at`;

/**
 * Associated data binds each ciphertext to its row and field: a ciphertext copied into another
 * row, or from refresh_token_enc into access_token_enc, fails authentication on decrypt.
 */
const aad = (id: string, field: 'access_token' | 'refresh_token') => `google_credentials:${id}:${field}`;

export function createGoogleCredentialsRepository(db: Database, keyring: Keyring): GoogleCredentialsRepository {
  const ownerColumn = (owner: CredentialOwner) =>
    'userId' in owner
      ? { column: 'user_id', value: owner.userId }
      : { column: 'connection_id', value: owner.connectionId };

  const saveIn = async (tx: Queryable, owner: CredentialOwner, g: GoogleGrant): Promise<SavedCredential> => {
    const { column, value } = ownerColumn(owner);
    const expiresAt = new Date(Date.now() + g.expiresIn * 1000);
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await tx.query<CredentialRow>(
        `SELECT ${COLUMNS} FROM google_credentials WHERE ${column} = $1 FOR UPDATE`,
        [value],
      );
      const row = existing.rows[0];
      if (row) {
        // Keep the held refresh token when Google sent none (it only sends one on consent),
        // re-encrypted so the whole row is under the active key named by key_id.
        const keptRefresh =
          g.refreshToken ??
          (row.refresh_token_enc ? keyring.decrypt(row.refresh_token_enc, aad(row.id, 'refresh_token')) : null);
        const r = await tx.query<CredentialRow>(
          `UPDATE google_credentials SET access_token_enc = $2, access_token_expires_at = $3, refresh_token_enc = $4,
             scopes = COALESCE($5, scopes), google_sub = COALESCE($6, google_sub), email = COALESCE($7, email),
             key_id = $8, status = 'active', last_refreshed_at = now(), updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [
            row.id,
            keyring.encrypt(g.accessToken, aad(row.id, 'access_token')),
            expiresAt,
            keptRefresh === null ? null : keyring.encrypt(keptRefresh, aad(row.id, 'refresh_token')),
            g.scope === undefined ? null : normalizeScopes(g.scope),
            g.googleSub ?? null,
            g.email ?? null,
            keyring.activeKid,
          ],
        );
        return { ...toCredential(r.rows[0]!), previousStatus: row.status };
      }
      // The id must exist before encryption (it is in the associated data), so a new row is
      // inserted with DO NOTHING: if a concurrent save created the owner's row first, we loop
      // and update that row instead of binding ciphertext to an id that lost.
      const id = randomId();
      const r = await tx.query<CredentialRow>(
        `INSERT INTO google_credentials (id, ${column}, google_sub, email, scopes, access_token_enc, access_token_expires_at,
           refresh_token_enc, key_id, status, last_refreshed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', now())
         ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [
          id,
          value,
          g.googleSub ?? null,
          g.email ?? null,
          normalizeScopes(g.scope ?? ''),
          keyring.encrypt(g.accessToken, aad(id, 'access_token')),
          expiresAt,
          g.refreshToken ? keyring.encrypt(g.refreshToken, aad(id, 'refresh_token')) : null,
          keyring.activeKid,
        ],
      );
      if (r.rows[0]) return { ...toCredential(r.rows[0]), previousStatus: null };
    }
    throw new Error('google credential save lost a race twice');
  };

  return {
    save: (owner, grant, tx) => (tx ? saveIn(tx, owner, grant) : db.transaction((t) => saveIn(t, owner, grant))),

    async findByOwner(owner, q = db) {
      const { column, value } = ownerColumn(owner);
      const r = await q.query<CredentialRow>(`SELECT ${COLUMNS} FROM google_credentials WHERE ${column} = $1`, [value]);
      return r.rows[0] ? toCredential(r.rows[0]) : null;
    },

    async findById(id, q = db) {
      const r = await q.query<CredentialRow>(`SELECT ${COLUMNS} FROM google_credentials WHERE id = $1`, [id]);
      return r.rows[0] ? toCredential(r.rows[0]) : null;
    },

    async findByIdForUpdate(id, tx) {
      const r = await tx.query<CredentialRow>(`SELECT ${COLUMNS} FROM google_credentials WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      return r.rows[0] ? toCredential(r.rows[0]) : null;
    },

    async decryptTokens(id, q = db) {
      const r = await q.query<CredentialRow>(`SELECT ${COLUMNS} FROM google_credentials WHERE id = $1`, [id]);
      const row = r.rows[0];
      if (!row) return null;
      try {
        return {
          accessToken: row.access_token_enc ? keyring.decrypt(row.access_token_enc, aad(row.id, 'access_token')) : null,
          refreshToken: row.refresh_token_enc
            ? keyring.decrypt(row.refresh_token_enc, aad(row.id, 'refresh_token'))
            : null,
        };
      } catch (err) {
        // A damaged or foreign row: name it in the log (the error handler logs this, and answers
        // a generic server_error), so an operator can find it without any plaintext.
        if (err instanceof DecryptionError) throw err.withContext(`google_credentials row ${row.id}`);
        throw err;
      }
    },

    async markReauthRequired(id, q = db) {
      await q.query(`UPDATE google_credentials SET status = 'reauth_required', updated_at = now() WHERE id = $1`, [id]);
    },
  };
}

/** Stored space-separated, de-duplicated and sorted, so equal grants compare equal. */
function normalizeScopes(scope: string): string {
  return [...new Set(scope.split(/\s+/).filter(Boolean))].sort().join(' ');
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

/** Ciphertext columns are left behind here on purpose. */
function toCredential(r: CredentialRow): GoogleCredential {
  return {
    id: r.id,
    userId: r.user_id,
    connectionId: r.connection_id,
    googleSub: r.google_sub,
    email: r.email,
    scopes: r.scopes.split(' ').filter(Boolean),
    accessTokenExpiresAt: date(r.access_token_expires_at),
    hasRefreshToken: r.refresh_token_enc !== null,
    keyId: r.key_id,
    status: r.status,
    lastRefreshedAt: date(r.last_refreshed_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
