import type { Database, Queryable } from '../storage/database.js';

export interface ConsentsRepository {
  /** The scopes the user has allowed the client so far (empty when none). */
  grantedScopes(userId: string, clientId: string, q?: Queryable): Promise<Set<string>>;
  /** Adds scopes to what was granted before (asking for less later does not shrink it). */
  grant(userId: string, clientId: string, scopes: string[], q?: Queryable): Promise<void>;
  /** Forgets what the user allowed the client, so the next authorization asks again. */
  forget(userId: string, clientId: string, q?: Queryable): Promise<void>;
}

/** What a person has allowed an app, remembered per user and client. */
export function createConsentsRepository(db: Database): ConsentsRepository {
  return {
    async grantedScopes(userId, clientId, q = db) {
      const { rows } = await q.query<{ scope: string }>(
        'SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2',
        [userId, clientId],
      );
      return new Set((rows[0]?.scope ?? '').split(' ').filter(Boolean));
    },

    async grant(userId, clientId, scopes, q = db) {
      await q.query(
        `INSERT INTO consents (user_id, client_id, scope) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, client_id) DO UPDATE SET
           scope = (SELECT string_agg(DISTINCT s, ' ' ORDER BY s)
                    FROM unnest(string_to_array(consents.scope || ' ' || EXCLUDED.scope, ' ')) AS s WHERE s <> ''),
           updated_at = now()`,
        [userId, clientId, scopes.join(' ')],
      );
    },

    async forget(userId, clientId, q = db) {
      await q.query('DELETE FROM consents WHERE user_id = $1 AND client_id = $2', [userId, clientId]);
    },
  };
}
