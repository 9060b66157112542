import type { Database, Queryable } from '../storage/database.js';

export interface RevokedAccessTokensRepository {
  /** The deny list re-reads it by the writing transaction (AccessDenialsRepository.changedSince). */
  insert(jti: string, expiresAt: Date, q?: Queryable): Promise<void>;
}

export function createRevokedAccessTokensRepository(db: Database): RevokedAccessTokensRepository {
  return {
    async insert(jti, expiresAt, q = db) {
      await q.query(
        'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING',
        [jti, expiresAt],
      );
    },
  };
}
