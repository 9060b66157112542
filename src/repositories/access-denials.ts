import type { Database, Queryable } from '../storage/database.js';

/** What a denial ends: every access token of a client, or every one whose sub is a person. */
export type AccessDenialKind = 'client' | 'subject';

/** One deny-list entry as the sync reads it: `f:<family>`, `j:<jti>`, `c:<client>` or `u:<user>`. */
export interface DenyListEntry {
  key: string;
  expires_at: Date;
}

export interface DenyListChanges {
  entries: DenyListEntry[];
  /** Pass to the next changedSince: the xmin of the snapshot these entries were read in. */
  horizon: string;
}

/** Read every row written by a transaction that had not committed at the previous sync. */
export const CHANGED_SINCE_SQL = `
  SELECT h.horizon::text AS horizon, d.key, d.expires_at
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon) h
  LEFT JOIN (
    SELECT 'f:' || id AS key, access_expires_at AS expires_at FROM token_families
     WHERE revoked_xid >= $1::xid8 AND access_expires_at > now()
    UNION ALL
    SELECT 'j:' || jti, expires_at FROM revoked_access_tokens
     WHERE revoked_xid >= $1::xid8 AND expires_at > now()
    UNION ALL
    SELECT CASE kind WHEN 'client' THEN 'c:' ELSE 'u:' END || value, expires_at FROM access_denials
     WHERE created_xid >= $1::xid8 AND expires_at > now()
  ) d ON true`;

/** The first horizon for changedSince: everything still alive. */
export const FIRST_HORIZON = '0';

export interface AccessDenialsRepository {
  /**
   * Records a denial in the caller's transaction; the deny list announces it after the commit.
   * `value` is a client id, or for a subject the deny list's subjectDigest of the user id.
   */
  insert(kind: AccessDenialKind, value: string, expiresAt: Date, tx: Queryable): Promise<void>;
  /**
   * Live entries of every kind written by transactions not yet committed at `horizon`, and the
   * next horizon, in one statement (one snapshot). Commit order, not time: a transaction
   * running when a snapshot was taken has an xid ≥ that snapshot's xmin (the oldest xid still
   * running), and so does every later one; a row it commits after this read is found by the
   * next. Rows that were already read may be read again; adding them twice changes nothing.
   */
  changedSince(horizon: string, q?: Queryable): Promise<DenyListChanges>;
}

export function createAccessDenialsRepository(db: Database): AccessDenialsRepository {
  return {
    async insert(kind, value, expiresAt, tx) {
      await tx.query('INSERT INTO access_denials (kind, value, expires_at) VALUES ($1, $2, $3)', [
        kind,
        value,
        expiresAt,
      ]);
    },

    async changedSince(horizon, q = db) {
      const { rows } = await q.query<{ horizon: string; key: string | null; expires_at: Date | null }>(
        CHANGED_SINCE_SQL,
        [horizon],
      );
      const entries: DenyListEntry[] = [];
      for (const r of rows)
        if (r.key !== null && r.expires_at !== null) entries.push({ key: r.key, expires_at: r.expires_at });
      return { entries, horizon: rows[0]!.horizon };
    },
  };
}
