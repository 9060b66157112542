import { randomId } from '../crypto/random.js';
import { isUniqueViolation, type Database, type Queryable } from '../storage/database.js';
import { USER_CLAIM_COLUMNS, type UserClaims } from './user-claims.js';
import { canonicalUsername, nextFreeUsername, usernameBaseFromEmail } from '../users/username.js';

export interface User {
  id: string;
  googleSub: string | null;
  email: string | null;
  emailVerified: boolean;
  username: string;
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  picture: string | null;
  twoFactor: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What Google says about a person (ID token or userinfo claims). */
export interface GoogleProfile {
  sub: string;
  email?: string | undefined;
  emailVerified?: boolean | undefined;
  name?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  picture?: string | undefined;
}

interface UserRow {
  id: string;
  google_sub: string | null;
  email: string | null;
  email_verified: boolean;
  username: string;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  picture: string | null;
  two_factor: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS =
  'id, google_sub, email, email_verified, username, first_name, last_name, name, picture, two_factor, created_at, updated_at';
const USERNAME_ATTEMPTS = 20;

export class UsernameTakenError extends Error {
  override name = 'UsernameTakenError';
  constructor(readonly username: string) {
    super(`username ${username} is taken`);
  }
}

export interface UsersRepository {
  /**
   * Creates or updates the person Google identifies by `sub` (never by email: an email can move
   * between Google accounts, a sub cannot). A new person gets a username derived from their
   * email. Runs in `tx` when given (it uses a savepoint there), else in its own transaction.
   */
  upsertFromGoogle(profile: GoogleProfile, tx?: Queryable): Promise<User>;
  /**
   * A person an external authentication service vouches for, known only by email (no Google
   * sub; email_verified false, since Gatehouse did not verify it). Username derived from the email.
   */
  createWithEmail(email: string, tx: Queryable): Promise<User>;
  /**
   * Sets an already canonical, valid username; null when there is no such user. The unique
   * constraint decides: of two racing renames to one name exactly one commits, the other gets
   * UsernameTakenError.
   */
  changeUsername(id: string, username: string, q?: Queryable): Promise<User | null>;
  findById(id: string, q?: Queryable): Promise<User | null>;
  /**
   * Case-insensitive; when several accounts share an email, the verified, most recent one.
   * For display and tests only: never to decide whose token a caller gets (findByVerifiedEmail).
   */
  findByEmail(email: string, q?: Queryable): Promise<User | null>;
  /**
   * The accounts whose verified email this is (case-insensitive), at most two: the caller
   * needs only to tell none, one and several apart.
   */
  findByVerifiedEmail(email: string, q?: Queryable): Promise<User[]>;
  /**
   * People an external authentication service created with this email (no Google sub), at
   * most two: only such a service can have made them, so a Google account whose unverified
   * email says the same can never be among them.
   */
  findExternalByEmail(email: string, q?: Queryable): Promise<User[]>;
  /** Canonicalises the input first (product rule: same canonicalisation at creation and lookup). */
  findByUsername(username: string, q?: Queryable): Promise<User | null>;
  /** What tokens say about the user (username and OIDC claims), or null when there is none. */
  findClaims(id: string, q?: Queryable): Promise<UserClaims | null>;
  /** Newest first, for the CLI and admin views. */
  list(opts: { limit: number }, q?: Queryable): Promise<UserSummary[]>;
  /**
   * Newest first, limit + 1 rows after `after` (keyset; see admin/cursor.ts). `query` matches a
   * substring of the email, username or name, case-insensitively, or the exact id.
   */
  search(
    opts: { query?: string | undefined; after?: { at: string; id: string } | undefined; limit: number },
    q?: Queryable,
  ): Promise<Array<UserSummary & { createdAt: Date }>>;
}

export function createUsersRepository(db: Database, opts: { loginClientId: string }): UsersRepository {
  const upsertIn = async (tx: Queryable, p: GoogleProfile): Promise<User> => {
    const values = [
      p.email ?? null,
      p.emailVerified ?? false,
      p.givenName ?? null,
      p.familyName ?? null,
      p.name ?? null,
      p.picture ?? null,
    ];
    const updated = await tx.query<UserRow>(
      `UPDATE users SET email = $2, email_verified = $3, first_name = $4, last_name = $5, name = $6, picture = $7,
         updated_at = now()
       WHERE google_sub = $1 RETURNING ${COLUMNS}`,
      [p.sub, ...values],
    );
    if (updated.rows[0]) return toUser(updated.rows[0]);

    return insertWithFreeUsername(tx, usernameBaseFromEmail(p.email), async (username) => {
      const inserted = await tx.query<UserRow>(
        `INSERT INTO users (id, google_sub, email, email_verified, first_name, last_name, name, picture, username)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (google_sub) DO UPDATE SET email = EXCLUDED.email, email_verified = EXCLUDED.email_verified,
           first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, name = EXCLUDED.name,
           picture = EXCLUDED.picture, updated_at = now()
         RETURNING ${COLUMNS}`,
        [randomId(), p.sub, ...values, username],
      );
      return inserted.rows[0]!;
    });
  };

  /**
   * Tries base, base2, … until an insert wins. A savepoint per attempt, because a unique
   * violation aborts the surrounding transaction otherwise.
   */
  const insertWithFreeUsername = async (
    tx: Queryable,
    base: string,
    insert: (username: string) => Promise<UserRow>,
  ): Promise<User> => {
    let startAt = 1;
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      const taken = await takenUsernames(tx, base);
      const username = nextFreeUsername(base, taken, opts.loginClientId, startAt);
      await tx.query('SAVEPOINT insert_user');
      try {
        const row = await insert(username);
        await tx.query('RELEASE SAVEPOINT insert_user');
        return toUser(row);
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT insert_user');
        // The unique constraint decides races on a username: someone took it between our read
        // and our insert. Ask again, starting past the number that lost.
        if (!isUniqueViolation(err, 'users_username_key')) throw err;
        startAt = Math.max(startAt, suffixOf(username, base)) + 1;
      }
    }
    throw new Error('could not find a free username after several attempts');
  };

  return {
    upsertFromGoogle: (profile, tx) => (tx ? upsertIn(tx, profile) : db.transaction((t) => upsertIn(t, profile))),

    async createWithEmail(email, tx) {
      return insertWithFreeUsername(tx, usernameBaseFromEmail(email), async (username) => {
        const r = await tx.query<UserRow>(
          `INSERT INTO users (id, email, email_verified, username) VALUES ($1, $2, false, $3) RETURNING ${COLUMNS}`,
          [randomId(), email, username],
        );
        return r.rows[0]!;
      });
    },

    async changeUsername(id, username, q = db) {
      try {
        const r = await q.query<UserRow>(
          `UPDATE users SET username = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, username],
        );
        return r.rows[0] ? toUser(r.rows[0]) : null;
      } catch (err) {
        if (isUniqueViolation(err, 'users_username_key')) throw new UsernameTakenError(username);
        throw err;
      }
    },

    async findById(id, q = db) {
      const r = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return r.rows[0] ? toUser(r.rows[0]) : null;
    },

    async findByEmail(email, q = db) {
      const r = await q.query<UserRow>(
        `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)
         ORDER BY email_verified DESC, updated_at DESC LIMIT 1`,
        [email],
      );
      return r.rows[0] ? toUser(r.rows[0]) : null;
    },

    async findByVerifiedEmail(email, q = db) {
      const r = await q.query<UserRow>(
        `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1) AND email_verified ORDER BY id LIMIT 2`,
        [email],
      );
      return r.rows.map(toUser);
    },

    async findExternalByEmail(email, q = db) {
      const r = await q.query<UserRow>(
        `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1) AND google_sub IS NULL ORDER BY id LIMIT 2`,
        [email],
      );
      return r.rows.map(toUser);
    },

    async findByUsername(username, q = db) {
      const canonical = canonicalUsername(username);
      if (!canonical) return null;
      const r = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [canonical]);
      return r.rows[0] ? toUser(r.rows[0]) : null;
    },

    async findClaims(id, q = db) {
      const { rows } = await q.query<UserClaims>(`SELECT u.id, ${USER_CLAIM_COLUMNS} FROM users u WHERE u.id = $1`, [
        id,
      ]);
      return rows[0] ?? null;
    },

    async list(opts, q = db) {
      const { rows } = await q.query<SummaryRow>(
        'SELECT id, username, email, name, email_verified, created_at FROM users ORDER BY created_at DESC, id LIMIT $1',
        [opts.limit],
      );
      return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
    },

    async search(opts, q = db) {
      const params: unknown[] = [];
      const where: string[] = [];
      if (opts.query) {
        params.push(`%${opts.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`, opts.query);
        where.push(`(lower(email) LIKE $1 OR lower(username) LIKE $1 OR lower(coalesce(name, '')) LIKE $1 OR id = $2)`);
      }
      if (opts.after) {
        params.push(opts.after.at, opts.after.id);
        // Milliseconds, as the cursor carries them (a JS Date): Postgres keeps microseconds, and
        // comparing those with a truncated cursor would skip rows made in the same millisecond.
        where.push(
          `(date_trunc('milliseconds', created_at), id) < ($${params.length - 1}::timestamptz, $${params.length})`,
        );
      }
      params.push(opts.limit + 1);
      const { rows } = await q.query<SummaryRow>(
        `SELECT id, username, email, name, email_verified, created_at FROM users
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map((r) => ({
        ...r,
        created_at: new Date(r.created_at).toISOString(),
        createdAt: new Date(r.created_at),
      }));
    },
  };
}

/** Existing usernames that are base or base followed by digits (LIKE wildcards escaped). */
async function takenUsernames(q: Queryable, base: string): Promise<Set<string>> {
  const like = `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const r = await q.query<{ username: string }>(`SELECT username FROM users WHERE username LIKE $1`, [like]);
  return new Set(r.rows.map((row) => row.username));
}

function suffixOf(username: string, base: string): number {
  const m = /(\d+)$/.exec(username);
  return username === base || !m ? 1 : Number(m[1]);
}

function toUser(r: UserRow): User {
  return {
    id: r.id,
    googleSub: r.google_sub,
    email: r.email,
    emailVerified: r.email_verified,
    username: r.username,
    firstName: r.first_name,
    lastName: r.last_name,
    name: r.name,
    picture: r.picture,
    twoFactor: r.two_factor,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** What the CLI and admin views show of a user: no tokens, nothing secret. */
export interface UserSummary {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  email_verified: boolean;
  created_at: string;
}

interface SummaryRow extends Omit<UserSummary, 'created_at'> {
  created_at: Date;
}
