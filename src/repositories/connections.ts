import type { Database, Queryable } from '../storage/database.js';

/** A single-use connect link; its id is the `l` of the signed token handed to the service. */
export interface ConnectLink {
  id: string;
  connectionId: string;
  apiKeyId: string | null;
  returnTo: string | null;
  /** Google scopes asked for on top of the base ones. */
  scopes: string[];
  expiresAt: Date;
  /** Spent: the person confirmed on the link's page and was sent to Google. */
  usedAt: Date | null;
  /** The Google callback ended it (connected, denied or failed); nothing can follow. */
  completedAt: Date | null;
}

export type ConsumeResult = { ok: true; link: ConnectLink } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export interface Connection {
  id: string;
  createdByApiKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A connection with what its Google grant looks like (none yet: every grant field null). */
export interface ConnectionSummary extends Connection {
  status: 'active' | 'reauth_required' | null;
  email: string | null;
  scopes: string[];
  accessTokenExpiresAt: Date | null;
  lastRefreshedAt: Date | null;
}

export interface ConnectionsRepository {
  createLink(
    link: Omit<ConnectLink, 'usedAt' | 'completedAt' | 'scopes'> & { scopes?: string[] },
    q?: Queryable,
  ): Promise<void>;
  /**
   * Spends a link: exactly one caller gets `ok` (the UPDATE is the race arbiter); expiry is
   * judged by the database clock, like used_at.
   */
  consumeLink(id: string, q?: Queryable): Promise<ConsumeResult>;
  findLink(id: string, q?: Queryable): Promise<ConnectLink | null>;
  /** The connection's most recently created link (spent or not), or null. */
  lastLink(connectionId: string, q?: Queryable): Promise<ConnectLink | null>;
  /**
   * Ends a spent link: exactly one caller gets it back (the UPDATE is the race arbiter); null
   * when it is unknown, not spent, already completed, or gone with its deleted connection.
   */
  completeLink(id: string, q?: Queryable): Promise<ConnectLink | null>;
  /** Creates the connection row, or touches it when the id is being reconnected. */
  ensure(id: string, apiKeyId: string | null, q?: Queryable): Promise<void>;
  find(id: string, q?: Queryable): Promise<Connection | null>;
  /** Newest first, with their grants; only those a given API key created when it is named. */
  list(opts: { limit: number; apiKeyId?: string }, q?: Queryable): Promise<ConnectionSummary[]>;
  /**
   * Deletes the connection, its credential (ON DELETE CASCADE) and all its links, spent ones
   * too: a link on its way through Google must not bring a deleted connection back. False when absent.
   */
  delete(id: string, q?: Queryable): Promise<boolean>;
  /**
   * Admin listing, newest first, limit + 1 rows after `after` (keyset): each connection with its
   * credential's status (`not_connected` when it holds none), scopes and last refresh.
   */
  page(opts: ConnectionPageQuery, q?: Queryable): Promise<ConnectionPageRow[]>;
}

export type ConnectionStatus = 'active' | 'reauth_required' | 'not_connected';

export interface ConnectionPageQuery {
  status?: ConnectionStatus | undefined;
  after?: { at: string; id: string } | undefined;
  limit: number;
}

/** A row of the admin listing (`page`). */
export interface ConnectionPageRow {
  id: string;
  status: ConnectionStatus;
  googleEmail: string | null;
  scopes: string[];
  lastRefreshedAt: Date | null;
  createdByApiKey: string | null;
  createdAt: Date;
}

interface LinkRow {
  id: string;
  connection_id: string;
  api_key_id: string | null;
  return_to: string | null;
  expires_at: Date | string;
  used_at: Date | string | null;
  scopes: string[];
  completed_at: Date | string | null;
}

const LINK_COLUMNS = 'id, connection_id, api_key_id, return_to, scopes, expires_at, used_at, completed_at';

export function createConnectionsRepository(db: Database): ConnectionsRepository {
  const findLink = async (id: string, q: Queryable = db): Promise<ConnectLink | null> => {
    const r = await q.query<LinkRow>(`SELECT ${LINK_COLUMNS} FROM connect_links WHERE id = $1`, [id]);
    return r.rows[0] ? toLink(r.rows[0]) : null;
  };

  return {
    async createLink(link, q = db) {
      await q.query(
        `INSERT INTO connect_links (id, connection_id, api_key_id, return_to, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [link.id, link.connectionId, link.apiKeyId, link.returnTo, link.scopes ?? [], link.expiresAt],
      );
    },

    async consumeLink(id, q = db) {
      const r = await q.query<LinkRow>(
        `UPDATE connect_links SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING ${LINK_COLUMNS}`,
        [id],
      );
      if (r.rows[0]) return { ok: true, link: toLink(r.rows[0]) };
      const existing = await findLink(id, q);
      if (!existing) return { ok: false, reason: 'unknown' };
      return { ok: false, reason: existing.usedAt ? 'used' : 'expired' };
    },

    findLink,

    async lastLink(connectionId, q = db) {
      const r = await q.query<LinkRow>(
        `SELECT ${LINK_COLUMNS} FROM connect_links WHERE connection_id = $1 ORDER BY created_at DESC, expires_at DESC LIMIT 1`,
        [connectionId],
      );
      return r.rows[0] ? toLink(r.rows[0]) : null;
    },

    async completeLink(id, q = db) {
      const r = await q.query<LinkRow>(
        `UPDATE connect_links SET completed_at = now() WHERE id = $1 AND used_at IS NOT NULL AND completed_at IS NULL RETURNING ${LINK_COLUMNS}`,
        [id],
      );
      return r.rows[0] ? toLink(r.rows[0]) : null;
    },

    async ensure(id, apiKeyId, q = db) {
      await q.query(
        `INSERT INTO connections (id, created_by_api_key) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET updated_at = now()`,
        [id, apiKeyId],
      );
    },

    async page(opts, q = db) {
      const params: unknown[] = [];
      const where: string[] = [];
      if (opts.status) {
        params.push(opts.status);
        where.push(`coalesce(g.status, 'not_connected') = $${params.length}`);
      }
      if (opts.after) {
        params.push(opts.after.at, opts.after.id);
        // Milliseconds, as the cursor carries them (see usersRepository.search).
        where.push(
          `(date_trunc('milliseconds', c.created_at), c.id) < ($${params.length - 1}::timestamptz, $${params.length})`,
        );
      }
      params.push(opts.limit + 1);
      const r = await q.query<{
        id: string;
        status: ConnectionStatus;
        email: string | null;
        scopes: string | null;
        last_refreshed_at: Date | string | null;
        created_by_api_key: string | null;
        created_at: Date | string;
      }>(
        `SELECT c.id, coalesce(g.status, 'not_connected') AS status, g.email, g.scopes, g.last_refreshed_at,
                c.created_by_api_key, c.created_at
           FROM connections c LEFT JOIN google_credentials g ON g.connection_id = c.id
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY date_trunc('milliseconds', c.created_at) DESC, c.id DESC LIMIT $${params.length}`,
        params,
      );
      return r.rows.map((row) => ({
        id: row.id,
        status: row.status,
        googleEmail: row.email,
        scopes: row.scopes ? row.scopes.split(' ').filter(Boolean) : [],
        lastRefreshedAt: row.last_refreshed_at === null ? null : new Date(row.last_refreshed_at),
        createdByApiKey: row.created_by_api_key,
        createdAt: new Date(row.created_at),
      }));
    },

    async find(id, q = db) {
      const r = await q.query<{
        id: string;
        created_by_api_key: string | null;
        created_at: Date | string;
        updated_at: Date | string;
      }>(`SELECT id, created_by_api_key, created_at, updated_at FROM connections WHERE id = $1`, [id]);
      const row = r.rows[0];
      return row
        ? {
            id: row.id,
            createdByApiKey: row.created_by_api_key,
            createdAt: new Date(row.created_at),
            updatedAt: new Date(row.updated_at),
          }
        : null;
    },

    async list({ limit, apiKeyId }, q = db) {
      const r = await q.query<{
        id: string;
        created_by_api_key: string | null;
        created_at: Date | string;
        updated_at: Date | string;
        status: 'active' | 'reauth_required' | null;
        email: string | null;
        scopes: string | null;
        access_token_expires_at: Date | string | null;
        last_refreshed_at: Date | string | null;
      }>(
        `SELECT c.id, c.created_by_api_key, c.created_at, c.updated_at,
                g.status, g.email, g.scopes, g.access_token_expires_at, g.last_refreshed_at
           FROM connections c LEFT JOIN google_credentials g ON g.connection_id = c.id
          WHERE $1::text IS NULL OR c.created_by_api_key = $1
          ORDER BY c.created_at DESC, c.id
          LIMIT $2`,
        [apiKeyId ?? null, limit],
      );
      return r.rows.map((row) => ({
        id: row.id,
        createdByApiKey: row.created_by_api_key,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
        status: row.status,
        email: row.email,
        scopes: row.scopes ? row.scopes.split(' ').filter(Boolean) : [],
        accessTokenExpiresAt: row.access_token_expires_at === null ? null : new Date(row.access_token_expires_at),
        lastRefreshedAt: row.last_refreshed_at === null ? null : new Date(row.last_refreshed_at),
      }));
    },

    async delete(id, q = db) {
      await q.query(`DELETE FROM connect_links WHERE connection_id = $1`, [id]);
      const r = await q.query(`DELETE FROM connections WHERE id = $1`, [id]);
      return r.rowCount > 0;
    },
  };
}

function toLink(r: LinkRow): ConnectLink {
  return {
    id: r.id,
    connectionId: r.connection_id,
    apiKeyId: r.api_key_id,
    returnTo: r.return_to,
    scopes: r.scopes,
    expiresAt: new Date(r.expires_at),
    usedAt: r.used_at === null ? null : new Date(r.used_at),
    completedAt: r.completed_at === null ? null : new Date(r.completed_at),
  };
}
