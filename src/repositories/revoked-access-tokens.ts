import type { Queryable } from '../storage/database.js';

export const revokedAccessTokensRepository = {
  /** The deny list re-reads it by the writing transaction (accessDenialsRepository.changedSince). */
  async insert(db: Queryable, jti: string, expiresAt: Date): Promise<void> {
    await db.query('INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING', [
      jti,
      expiresAt,
    ]);
  },
};
