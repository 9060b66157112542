import type { Queryable } from '../storage/database.js';

/** What a person has allowed an app, remembered per user and client. */
export const consentsRepository = {
  async grantedScopes(db: Queryable, userId: string, clientId: string): Promise<Set<string>> {
    const { rows } = await db.query<{ scope: string }>(
      'SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2',
      [userId, clientId],
    );
    return new Set((rows[0]?.scope ?? '').split(' ').filter(Boolean));
  },

  /** Adds scopes to what was granted before (asking for less later does not shrink it). */
  async grant(db: Queryable, userId: string, clientId: string, scopes: string[]): Promise<void> {
    await db.query(
      `INSERT INTO consents (user_id, client_id, scope) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, client_id) DO UPDATE SET
         scope = (SELECT string_agg(DISTINCT s, ' ' ORDER BY s)
                  FROM unnest(string_to_array(consents.scope || ' ' || EXCLUDED.scope, ' ')) AS s WHERE s <> ''),
         updated_at = now()`,
      [userId, clientId, scopes.join(' ')],
    );
  },

  async forget(db: Queryable, userId: string, clientId: string): Promise<void> {
    await db.query('DELETE FROM consents WHERE user_id = $1 AND client_id = $2', [userId, clientId]);
  },
};
