import type { Database } from '../storage/database.js';

/** The proactive worker's queries on google_credentials. */
export interface ProactiveStore {
  /**
   * Active credentials holding a refresh token whose access token expires within `withinMs`
   * (or has expired), served or created within `windowDays`; soonest expiry first.
   */
  dueForRefresh(withinMs: number, windowDays: number, limit: number): Promise<{ id: string; expiresAt: Date | null }[]>;
  /** Records that these subjects (user ids or connection ids) were just served a token. */
  markServed(subjects: readonly string[]): Promise<void>;
}

export function createProactiveStore(db: Database): ProactiveStore {
  return {
    async dueForRefresh(withinMs, windowDays, limit) {
      const r = await db.query<{ id: string; access_token_expires_at: Date | string | null }>(
        `SELECT id, access_token_expires_at FROM google_credentials
         WHERE status = 'active' AND refresh_token_enc IS NOT NULL
           AND access_token_expires_at < now() + $1 * interval '1 millisecond'
           AND COALESCE(last_used_at, created_at) > now() - $2 * interval '1 day'
         ORDER BY access_token_expires_at LIMIT $3`,
        [withinMs, windowDays, limit],
      );
      return r.rows.map((row) => ({
        id: row.id,
        expiresAt: row.access_token_expires_at === null ? null : new Date(row.access_token_expires_at),
      }));
    },

    async markServed(subjects) {
      if (subjects.length === 0) return;
      await db.query(
        `UPDATE google_credentials SET last_used_at = now()
         WHERE user_id = ANY ($1) OR connection_id = ANY ($1)`,
        [subjects],
      );
    },
  };
}
