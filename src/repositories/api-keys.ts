import type { Database, Queryable } from '../storage/database.js';
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

export interface ApiKeysRepository {
  /** Stores a new key (only its hash and lookup prefix); returns it as read back. */
  insert(
    k: {
      id: string;
      name: string;
      lookupPrefix: string;
      keyHash: string;
      scopes: ApiKeyScope[];
      defaultSubject: DefaultSubject | null;
      allowedClients: string[];
    },
    q?: Queryable,
  ): Promise<ApiKey>;
  /** The key with this id, revoked or not; null when there is none. */
  findById(id: string, q?: Queryable): Promise<ApiKey | null>;
  /** The key whose public prefix this is (the first step of authenticating one); null when none. */
  findByLookupPrefix(prefix: string, q?: Queryable): Promise<ApiKey | null>;
  /** Every key, newest first, revoked ones included. */
  list(q?: Queryable): Promise<ApiKey[]>;
  /** Returns the revoked key (idempotent), or null when there is none. */
  revoke(id: string, q?: Queryable): Promise<ApiKey | null>;
  /** One statement for a whole batch of uses, instead of a write per request. */
  markUsed(ids: string[], q?: Queryable): Promise<void>;
}

export function createApiKeysRepository(db: Database): ApiKeysRepository {
  return {
    async insert(k, q = db) {
      const d = k.defaultSubject;
      const { rows } = await q.query<Row>(
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

    async findById(id, q = db) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      return rows[0] ? toApiKey(rows[0]) : null;
    },

    async findByLookupPrefix(prefix, q = db) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE lookup_prefix = $1`, [prefix]);
      return rows[0] ? toApiKey(rows[0]) : null;
    },

    async list(q = db) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
      return rows.map(toApiKey);
    },

    async revoke(id, q = db) {
      const { rows } = await q.query<Row>(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return rows[0] ? toApiKey(rows[0]) : null;
    },

    async markUsed(ids, q = db) {
      if (ids.length === 0) return;
      await q.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1)', [ids]);
    },
  };
}
