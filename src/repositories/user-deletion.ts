import type { Queryable } from '../storage/database.js';
import type { RevokedFamily } from './token-families.js';

export interface UserDeletionRepository {
  /**
   * Locks the user row against concurrent updates (a sign-in). NO KEY UPDATE, not UPDATE: a
   * token request in flight holds its family's lock and then needs a key-share lock on the user
   * for its foreign key; FOR UPDATE would make the two wait on each other (deadlock).
   */
  lockUser(id: string, tx: Queryable): Promise<UserIdentifiers | null>;
  /**
   * Deletes the person's authorization codes, redeemed or not, before anything else. A code
   * redemption in flight holds its code's lock and then needs a key-share lock on the user for
   * its new family; left to the cascade of the user row's DELETE (which holds that row's lock),
   * the two would wait on each other (deadlock). Deleted first, this waits for the redemption to
   * commit, and the family revocation after it sees the family the redemption created.
   */
  deleteCodes(userId: string, tx: Queryable): Promise<number>;
  /**
   * Revokes every family of the user and detaches it from them. The family rows stay (naming
   * nobody) until the janitor removes them after their access tokens expire: they are what every
   * instance's deny list re-reads, so a lost pub/sub message cannot bring a token back to life.
   * Their refresh tokens are deleted here, by a second statement: it reads with a newer snapshot
   * than the UPDATE, so it also sees a token that a rotation, holding a family's lock while the
   * UPDATE waited, committed just before. (Families the deletion does not see here, made by a
   * redemption still in flight, go with the user row, and their tokens with them: ON DELETE
   * CASCADE from users to token_families to refresh_tokens.)
   */
  revokeAndDetachFamilies(userId: string, tx: Queryable): Promise<RevokedFamily[]>;
  /** Deletes the person's consents; returns how many. */
  deleteConsents(userId: string, tx: Queryable): Promise<number>;
  /** Deletes the person's Google credential row; returns how many (0 or 1). */
  deleteGoogleCredential(userId: string, tx: Queryable): Promise<number>;
  /**
   * Replaces every mention of the person in audit_events with `marker`: actor and subject by
   * index; the free-form details (and the address the event came from) of those rows are
   * dropped, and details elsewhere that contain an identifier are replaced too. The last is a
   * scan of the table, bounded by audit.retention_days.
   */
  scrubAuditEvents(who: UserIdentifiers, marker: string, tx: Queryable): Promise<number>;
  /** Refresh tokens and sessions cascade; the caller deleted the rest first. */
  deleteUser(userId: string, tx: Queryable): Promise<void>;
  /** An audit event that names nobody: `reference` is random, recorded nowhere else. */
  recordDeletion(reference: string, details: Record<string, unknown>, tx: Queryable): Promise<void>;
}

/** What identifies a person in stored rows; each is scrubbed from the audit trail. */
export interface UserIdentifiers {
  id: string;
  email: string | null;
  username: string;
  googleSub: string | null;
}

/** The SQL of deleting a person (DELETE /users/:id). Every method runs in the caller's transaction. */
export function createUserDeletionRepository(): UserDeletionRepository {
  return {
    async lockUser(id, tx) {
      const { rows } = await tx.query<{
        id: string;
        email: string | null;
        username: string;
        google_sub: string | null;
      }>('SELECT id, email, username, google_sub FROM users WHERE id = $1 FOR NO KEY UPDATE', [id]);
      const r = rows[0];
      return r ? { id: r.id, email: r.email, username: r.username, googleSub: r.google_sub } : null;
    },

    async deleteCodes(userId, tx) {
      return (await tx.query('DELETE FROM authorization_codes WHERE user_id = $1', [userId])).rowCount;
    },

    async revokeAndDetachFamilies(userId, tx) {
      const { rows } = await tx.query<RevokedFamily>(
        `UPDATE token_families SET revoked_at = COALESCE(revoked_at, now()), revoked_reason = COALESCE(revoked_reason, 'user_deleted'),
           user_id = NULL
         WHERE user_id = $1 RETURNING id, access_expires_at`,
        [userId],
      );
      if (rows.length > 0)
        await tx.query('DELETE FROM refresh_tokens WHERE family_id = ANY($1::text[])', [rows.map((r) => r.id)]);
      return rows;
    },

    async deleteConsents(userId, tx) {
      return (await tx.query('DELETE FROM consents WHERE user_id = $1', [userId])).rowCount;
    },

    async deleteGoogleCredential(userId, tx) {
      return (await tx.query('DELETE FROM google_credentials WHERE user_id = $1', [userId])).rowCount;
    },

    async scrubAuditEvents(who, marker, tx) {
      const needles = [who.id, who.email, who.username, who.googleSub].filter((v): v is string => Boolean(v));
      const named = await tx.query(
        `UPDATE audit_events SET
           actor = CASE WHEN actor = ANY($1::text[]) THEN $2 ELSE actor END,
           subject = CASE WHEN subject = ANY($1::text[]) THEN $2 ELSE subject END,
           ip = NULL, details = '{}'::jsonb
         WHERE actor = ANY($1::text[]) OR subject = ANY($1::text[])`,
        [needles, marker],
      );
      const likes = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const mentioned = await tx.query(
        `UPDATE audit_events SET details = jsonb_build_object('scrubbed', true) WHERE details::text LIKE ANY($1::text[])`,
        [likes],
      );
      return named.rowCount + mentioned.rowCount;
    },

    async deleteUser(userId, tx) {
      await tx.query('DELETE FROM users WHERE id = $1', [userId]);
    },

    async recordDeletion(reference, details, tx) {
      await tx.query(
        `INSERT INTO audit_events (event, actor, subject, details) VALUES ('user_deleted', 'admin', $1, $2::jsonb)`,
        [reference, JSON.stringify(details)],
      );
    },
  };
}
