import type { Queryable } from '../storage/database.js';

/** What the CLI and admin views show of a user: no tokens, nothing secret. */
export interface UserSummary {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  email_verified: boolean;
  created_at: string;
}

interface Row extends Omit<UserSummary, 'created_at'> {
  created_at: Date;
}

export const usersRepository = {
  /** Newest first. */
  async list(db: Queryable, opts: { limit: number }): Promise<UserSummary[]> {
    const { rows } = await db.query<Row>(
      'SELECT id, username, email, name, email_verified, created_at FROM users ORDER BY created_at DESC, id LIMIT $1',
      [opts.limit],
    );
    return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
  },
};
