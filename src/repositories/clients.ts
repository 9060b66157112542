import type { Database, Queryable } from '../storage/database.js';
import type { Client } from '../clients/client.js';

/** A clients row: the Client's columns, with timestamps as Date and disabled as disabled_at. */
type ClientRow = Omit<Client, 'post_logout_redirect_uris' | 'disabled' | 'created_at' | 'updated_at'> & {
  post_logout_redirect_uris: string[] | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `id, app_name, contact_email, secret_hash, redirect_uris, grant_types, scope,
  token_endpoint_auth_method, first_party, resource_server, id_token_signed_response_alg, post_logout_redirect_uris,
  version, disabled_at, created_at, updated_at`;

function toClient(r: ClientRow): Client {
  return {
    id: r.id,
    app_name: r.app_name,
    contact_email: r.contact_email,
    redirect_uris: r.redirect_uris,
    grant_types: r.grant_types,
    scope: r.scope,
    token_endpoint_auth_method: r.token_endpoint_auth_method,
    first_party: r.first_party,
    resource_server: r.resource_server,
    id_token_signed_response_alg: r.id_token_signed_response_alg ?? null,
    post_logout_redirect_uris: r.post_logout_redirect_uris ?? [],
    secret_hash: r.secret_hash,
    disabled: r.disabled_at !== null,
    version: r.version,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** The columns PATCH /clients/:id may change (names are a fixed list, never from input). */
const EDITABLE = new Set([
  'app_name',
  'contact_email',
  'redirect_uris',
  'post_logout_redirect_uris',
  'scope',
  'grant_types',
  'first_party',
  'resource_server',
  'id_token_signed_response_alg',
]);
export type ClientChanges = Partial<
  Pick<
    Client,
    | 'app_name'
    | 'contact_email'
    | 'redirect_uris'
    | 'post_logout_redirect_uris'
    | 'scope'
    | 'grant_types'
    | 'first_party'
    | 'resource_server'
    | 'id_token_signed_response_alg'
  >
>;

export type NewClient = Omit<Client, 'disabled' | 'version' | 'created_at' | 'updated_at'>;

/** All SQL for clients. Postgres is the truth; the cached lookup sits in front of findById. */
const statements = {
  async insert(db: Queryable, c: NewClient): Promise<Client> {
    const rows = await insertClient(db, c, '');
    return toClient(rows[0]!);
  },

  /** Inserts unless a client with that id exists (safe when instances start at once); null when it existed. */
  async insertIfAbsent(db: Queryable, c: NewClient): Promise<Client | null> {
    const rows = await insertClient(db, c, 'ON CONFLICT (id) DO NOTHING');
    return rows[0] ? toClient(rows[0]) : null;
  },

  async findById(db: Queryable, id: string): Promise<Client | null> {
    const { rows } = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE id = $1`, [id]);
    return rows[0] ? toClient(rows[0]) : null;
  },

  /** Newest first; keyset pagination on (created_at, id). */
  async list(db: Queryable, opts: { limit: number; includeDisabled: boolean }): Promise<Client[]> {
    const { rows } = await db.query<ClientRow>(
      `SELECT ${COLUMNS} FROM clients WHERE ($1 OR disabled_at IS NULL) ORDER BY created_at DESC, id LIMIT $2`,
      [opts.includeDisabled, opts.limit],
    );
    return rows.map(toClient);
  },

  async all(db: Queryable): Promise<Client[]> {
    const { rows } = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM clients`);
    return rows.map(toClient);
  },

  /** Disabling is idempotent; returns the row as it now is, or null when there is none. */
  async disable(db: Queryable, id: string): Promise<Client | null> {
    const { rows } = await db.query<ClientRow>(
      `UPDATE clients SET disabled_at = COALESCE(disabled_at, now()), version = version + 1, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ? toClient(rows[0]) : null;
  },

  /** Sets the given admin-editable fields; returns the row as it now is, or null when there is none. */
  async update(db: Queryable, id: string, changes: ClientChanges): Promise<Client | null> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    for (const [column, value] of Object.entries(changes)) {
      if (value === undefined || !EDITABLE.has(column)) continue;
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    const { rows } = await db.query<ClientRow>(
      `UPDATE clients SET ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')}
       WHERE id = $1 RETURNING ${COLUMNS}`,
      values,
    );
    return rows[0] ? toClient(rows[0]) : null;
  },

  async replaceSecret(db: Queryable, id: string, secretHash: string): Promise<Client | null> {
    const { rows } = await db.query<ClientRow>(
      `UPDATE clients SET secret_hash = $2, secret_rotated_at = now(), version = version + 1, updated_at = now()
       WHERE id = $1 AND secret_hash IS NOT NULL RETURNING ${COLUMNS}`,
      [id, secretHash],
    );
    return rows[0] ? toClient(rows[0]) : null;
  },
};

/** The one INSERT of a client row, with or without skipping an existing id. */
async function insertClient(
  db: Queryable,
  c: NewClient,
  onConflict: '' | 'ON CONFLICT (id) DO NOTHING',
): Promise<ClientRow[]> {
  const { rows } = await db.query<ClientRow>(
    `INSERT INTO clients (id, app_name, contact_email, secret_hash, redirect_uris, grant_types, scope,
       token_endpoint_auth_method, first_party, resource_server, id_token_signed_response_alg, post_logout_redirect_uris)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ${onConflict}
     RETURNING ${COLUMNS}`,
    [
      c.id,
      c.app_name,
      c.contact_email,
      c.secret_hash,
      c.redirect_uris,
      c.grant_types,
      c.scope,
      c.token_endpoint_auth_method,
      c.first_party,
      c.resource_server,
      c.id_token_signed_response_alg,
      c.post_logout_redirect_uris,
    ],
  );
  return rows;
}

export interface ClientsRepository {
  /** Stores a new client; throws on a duplicate id. */
  insert(c: NewClient, q?: Queryable): Promise<Client>;
  /** Inserts unless a client with that id exists (instances starting at once); null when it existed. */
  insertIfAbsent(c: NewClient, q?: Queryable): Promise<Client | null>;
  /** The client with this id, disabled or not; null when there is none. */
  findById(id: string, q?: Queryable): Promise<Client | null>;
  /** Newest first; keyset pagination on (created_at, id). */
  list(opts: { limit: number; includeDisabled: boolean }, q?: Queryable): Promise<Client[]>;
  /** Every client (the cache warm-up and the metrics read them all). */
  all(q?: Queryable): Promise<Client[]>;
  /** Disabling is idempotent; returns the row as it now is, or null when there is none. */
  disable(id: string, q?: Queryable): Promise<Client | null>;
  /** Sets the given admin-editable fields; returns the row as it now is, or null when there is none. */
  update(id: string, changes: ClientChanges, q?: Queryable): Promise<Client | null>;
  /** Sets a new secret hash and bumps version; null when there is no such client. */
  replaceSecret(id: string, secretHash: string, q?: Queryable): Promise<Client | null>;
}

export function createClientsRepository(db: Database): ClientsRepository {
  return {
    insert: (c, q = db) => statements.insert(q, c),
    insertIfAbsent: (c, q = db) => statements.insertIfAbsent(q, c),
    findById: (id, q = db) => statements.findById(q, id),
    list: (opts, q = db) => statements.list(q, opts),
    all: (q = db) => statements.all(q),
    disable: (id, q = db) => statements.disable(q, id),
    update: (id, changes, q = db) => statements.update(q, id, changes),
    replaceSecret: (id, secretHash, q = db) => statements.replaceSecret(q, id, secretHash),
  };
}
