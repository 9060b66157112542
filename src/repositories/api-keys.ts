import type { Queryable } from '../storage/database.js';
import type { ApiKey, ApiKeyScope } from '../api-keys/api-key.js';
import type { DefaultSubject } from '../vault/subject.js';

interface Row {
  id: string;
  name: string;
  lookup_prefix: string;
  key_hash: string;
  scopes: ApiKeyScope[];
  default_subject_kind: 'subject' | 'connection_id' | null;
  default_subject: string | null;
  allowed_clients: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS =
  'id, name, lookup_prefix, key_hash, scopes, default_subject_kind, default_subject, allowed_clients, created_at, last_used_at, revoked_at';

function defaultSubjectOf(r: Row): DefaultSubject | null {
  if (r.default_subject === null) return null;
  return r.default_subject_kind === 'connection_id'
    ? { connection_id: r.default_subject }
    : { subject: r.default_subject };
}

function toApiKey(r: Row): ApiKey {
  return {
    id: r.id,
    name: r.name,
    lookup_prefix: r.lookup_prefix,
    key_hash: r.key_hash,
    scopes: r.scopes,
    default_subject: defaultSubjectOf(r),
    allowed_clients: r.allowed_clients,
    created_at: r.created_at.toISOString(),
    last_used_at: r.last_used_at?.toISOString() ?? null,
    revoked: r.revoked_at !== null,
  };
}

export const apiKeysRepository = {
  async insert(
    db: Queryable,
    k: {
      id: string;
      name: string;
      lookupPrefix: string;
      keyHash: string;
      scopes: ApiKeyScope[];
      defaultSubject: DefaultSubject | null;
      allowedClients: string[];
    },
  ): Promise<ApiKey> {
    const d = k.defaultSubject;
    const { rows } = await db.query<Row>(
      `INSERT INTO api_keys (id, name, lookup_prefix, key_hash, scopes, default_subject_kind, default_subject, allowed_clients)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        k.id,
        k.name,
        k.lookupPrefix,
        k.keyHash,
        k.scopes,
        d ? ('subject' in d ? 'subject' : 'connection_id') : null,
        d ? ('subject' in d ? d.subject : d.connection_id) : null,
        k.allowedClients,
      ],
    );
    return toApiKey(rows[0]!);
  },

  async findById(db: Queryable, id: string): Promise<ApiKey | null> {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? toApiKey(rows[0]) : null;
  },

  async findByLookupPrefix(db: Queryable, prefix: string): Promise<ApiKey | null> {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE lookup_prefix = $1`, [prefix]);
    return rows[0] ? toApiKey(rows[0]) : null;
  },

  async list(db: Queryable): Promise<ApiKey[]> {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
    return rows.map(toApiKey);
  },

  /** Returns the revoked key (idempotent), or null when there is none. */
  async revoke(db: Queryable, id: string): Promise<ApiKey | null> {
    const { rows } = await db.query<Row>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  },

  /** One statement for a whole batch of uses, instead of a write per request. */
  async markUsed(db: Queryable, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1)', [ids]);
  },
};
