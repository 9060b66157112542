import type { Queryable } from '../storage/database.js';
import type { RevokedFamily } from './token-families.js';

export interface ClientPurgeCounts {
  token_families_revoked: number;
  /** Revoked families whose access tokens had all expired; the others are left to the janitor. */
  token_families_deleted: number;
  refresh_tokens: number;
  authorization_codes: number;
  consents: number;
}

export interface ClientPurgeRepository {
  /**
   * Revokes every family of the client (so the deny list refuses its access tokens), deletes
   * its refresh tokens, codes and consents, and deletes the families whose access tokens have
   * all expired. Families with access tokens still alive stay, revoked, until the janitor takes
   * them: they are what every instance's deny list re-reads from Postgres.
   */
  purge(clientId: string, tx: Queryable): Promise<{ revoked: RevokedFamily[]; counts: ClientPurgeCounts }>;
}

/** The SQL of DELETE /clients/:id?purge=true; every method runs in the caller's transaction. */
export function createClientPurgeRepository(): ClientPurgeRepository {
  return {
    async purge(clientId, tx) {
      const revoked = await tx.query<RevokedFamily>(
        `UPDATE token_families SET revoked_at = COALESCE(revoked_at, now()), revoked_reason = COALESCE(revoked_reason, 'client_purged')
         WHERE client_id = $1 RETURNING id, access_expires_at`,
        [clientId],
      );
      // Through the families: refresh_tokens has no index of its own on client_id (migration 016).
      const refresh = await tx.query(
        'DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM token_families WHERE client_id = $1)',
        [clientId],
      );
      const codes = await tx.query('DELETE FROM authorization_codes WHERE client_id = $1', [clientId]);
      const consents = await tx.query('DELETE FROM consents WHERE client_id = $1', [clientId]);
      const families = await tx.query(
        'DELETE FROM token_families WHERE client_id = $1 AND access_expires_at <= now()',
        [clientId],
      );
      return {
        revoked: revoked.rows,
        counts: {
          token_families_revoked: revoked.rowCount,
          token_families_deleted: families.rowCount,
          refresh_tokens: refresh.rowCount,
          authorization_codes: codes.rowCount,
          consents: consents.rowCount,
        },
      };
    },
  };
}
