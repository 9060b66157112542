import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import type { Database, Queryable } from '../storage/database.js';

/** A server-side browser session. The id itself is never stored: only its SHA-256. */
export interface Session {
  idHash: string;
  userId: string;
  createdAt: Date;
  /** OIDC Core §2 auth_time: the Google callback that opened this session. */
  authTime: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
}

interface SessionRow {
  id_hash: string;
  user_id: string;
  created_at: Date | string;
  auth_time: Date | string;
  last_seen_at: Date | string;
  idle_expires_at: Date | string;
  expires_at: Date | string;
}

export interface SessionLifetimes {
  /** Absolute lifetime (security.session_days). */
  absoluteMs: number;
  /** Idle lifetime, extended as the session is used (security.session_idle_hours). */
  idleMs: number;
}

export interface SessionsRepository {
  /** Creates a session; the returned id is the only copy of the cookie value. */
  create(userId: string, tx?: Queryable): Promise<{ id: string; session: Session }>;
  findByHash(idHash: string, q?: Queryable): Promise<Session | null>;
  /** Slides the idle expiry (never past the absolute one); returns the updated session. */
  touch(idHash: string, q?: Queryable): Promise<Session | null>;
  /** Deletes one session; true when a row was there to delete. */
  delete(idHash: string, q?: Queryable): Promise<boolean>;
  deleteForUser(userId: string, q?: Queryable): Promise<string[]>;
  /** The person's live sessions, most recently used first (admin console). */
  listForUser(userId: string, q?: Queryable): Promise<Session[]>;
}

const COLUMNS = 'id_hash, user_id, created_at, auth_time, last_seen_at, idle_expires_at, expires_at';

export const sessionIdHash = (id: string) => sha256Hex(id);

export function createSessionsRepository(db: Database, lifetimes: SessionLifetimes): SessionsRepository {
  const idleSeconds = Math.floor(lifetimes.idleMs / 1000);
  const absoluteSeconds = Math.floor(lifetimes.absoluteMs / 1000);
  return {
    async create(userId, q = db) {
      const id = randomToken(32);
      const r = await q.query<SessionRow>(
        `INSERT INTO sessions (id_hash, user_id, idle_expires_at, expires_at)
         VALUES ($1, $2, LEAST(now() + make_interval(secs => $3), now() + make_interval(secs => $4)),
                 now() + make_interval(secs => $4))
         RETURNING ${COLUMNS}`,
        [sessionIdHash(id), userId, idleSeconds, absoluteSeconds],
      );
      return { id, session: toSession(r.rows[0]!) };
    },

    async listForUser(userId, q = db) {
      const r = await q.query<SessionRow>(
        `SELECT ${COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > now() AND idle_expires_at > now()
         ORDER BY last_seen_at DESC LIMIT 100`,
        [userId],
      );
      return r.rows.map(toSession);
    },

    async findByHash(idHash, q = db) {
      const r = await q.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id_hash = $1`, [idHash]);
      return r.rows[0] ? toSession(r.rows[0]) : null;
    },

    async touch(idHash, q = db) {
      const r = await q.query<SessionRow>(
        `UPDATE sessions SET last_seen_at = now(), idle_expires_at = LEAST(now() + make_interval(secs => $2), expires_at)
         WHERE id_hash = $1 AND expires_at > now() AND idle_expires_at > now() RETURNING ${COLUMNS}`,
        [idHash, idleSeconds],
      );
      return r.rows[0] ? toSession(r.rows[0]) : null;
    },

    async delete(idHash, q = db) {
      const r = await q.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
      return (r.rowCount ?? 0) > 0;
    },

    async deleteForUser(userId, q = db) {
      const r = await q.query<{ id_hash: string }>('DELETE FROM sessions WHERE user_id = $1 RETURNING id_hash', [
        userId,
      ]);
      return r.rows.map((row) => row.id_hash);
    },
  };
}

function toSession(r: SessionRow): Session {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    createdAt: new Date(r.created_at),
    authTime: new Date(r.auth_time),
    lastSeenAt: new Date(r.last_seen_at),
    idleExpiresAt: new Date(r.idle_expires_at),
    expiresAt: new Date(r.expires_at),
  };
}
