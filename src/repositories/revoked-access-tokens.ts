import type { Queryable } from '../storage/database.js';

export const revokedAccessTokensRepository = {
  async insert(db: Queryable, jti: string, expiresAt: Date): Promise<void> {
    await db.query('INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING', [jti, expiresAt]);
  },

  async revokedSince(db: Queryable, since: Date): Promise<{ jti: string; expires_at: Date }[]> {
    const { rows } = await db.query<{ jti: string; expires_at: Date }>(
      'SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > now() AND revoked_at >= $1',
      [since],
    );
    return rows;
  },
};
