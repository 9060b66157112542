import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import type { Database, Queryable } from '../storage/database.js';

/** The longest an interaction may wait for the person (the table's CHECK says the same). */
export const INTERACTION_TTL_SECONDS = 600;

/**
 * An authorization request kept server-side while the person signs in again or decides on
 * consent. The browser only ever holds its random id; what the consent page showed is what is
 * stored here, so a decision cannot widen it.
 */
export interface AuthorizationInteraction {
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  prompt: string;
  maxAge: number | null;
  /** The person the consent page was shown to. */
  userId: string | null;
  /** A sign-in at or after this time satisfies the request's authentication requirements. */
  loginAfter: Date | null;
  expiresAt: Date;
}

interface Row {
  client_id: string;
  redirect_uri: string;
  redirect_uri_sent: boolean;
  scope: string;
  state: string | null;
  nonce: string | null;
  code_challenge: string | null;
  prompt: string;
  max_age: number | null;
  user_id: string | null;
  login_after: Date | string | null;
  expires_at: Date | string;
}

const COLUMNS =
  'client_id, redirect_uri, redirect_uri_sent, scope, state, nonce, code_challenge, prompt, max_age, user_id, login_after, expires_at';

export type NewInteraction = Omit<AuthorizationInteraction, 'expiresAt' | 'loginAfter'> & { requireLogin: boolean };

export interface AuthorizationInteractionsRepository {
  /** Stores the request; returns the id the browser carries (only its SHA-256 is stored). */
  create(i: NewInteraction, q?: Queryable): Promise<string>;
  /** The live interaction with this id, or null (unknown, expired). */
  find(id: string, q?: Queryable): Promise<AuthorizationInteraction | null>;
  /** Single use: deletes and returns the live interaction shown to userId, or null. */
  consume(id: string, userId: string, q?: Queryable): Promise<AuthorizationInteraction | null>;
  /** Forgets an interaction (cancelled or answered); a no-op when it is gone. */
  delete(id: string, q?: Queryable): Promise<void>;
  /** Removes expired interactions (called as new ones are made; at most a small batch). */
  deleteExpired(q?: Queryable): Promise<void>;
}

export function createAuthorizationInteractionsRepository(db: Database): AuthorizationInteractionsRepository {
  return {
    async create(i, q = db) {
      const id = randomToken(32);
      await q.query(
        `INSERT INTO authorization_interactions (id_hash, client_id, redirect_uri, redirect_uri_sent, scope, state, nonce,
           code_challenge, prompt, max_age, user_id, login_after, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $12 THEN now() END, now() + make_interval(secs => $13))`,
        [
          sha256Hex(id),
          i.clientId,
          i.redirectUri,
          i.redirectUriSent,
          i.scope,
          i.state,
          i.nonce,
          i.codeChallenge,
          i.prompt,
          i.maxAge,
          i.userId,
          i.requireLogin,
          INTERACTION_TTL_SECONDS,
        ],
      );
      return id;
    },

    async find(id, q = db) {
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM authorization_interactions WHERE id_hash = $1 AND expires_at > now()`,
        [sha256Hex(id)],
      );
      return rows[0] ? toInteraction(rows[0]) : null;
    },

    async consume(id, userId, q = db) {
      const { rows } = await q.query<Row>(
        `DELETE FROM authorization_interactions WHERE id_hash = $1 AND user_id = $2 AND expires_at > now() RETURNING ${COLUMNS}`,
        [sha256Hex(id), userId],
      );
      return rows[0] ? toInteraction(rows[0]) : null;
    },

    async delete(id, q = db) {
      await q.query('DELETE FROM authorization_interactions WHERE id_hash = $1', [sha256Hex(id)]);
    },

    async deleteExpired(q = db) {
      await q.query(
        `DELETE FROM authorization_interactions WHERE id_hash IN (
           SELECT id_hash FROM authorization_interactions WHERE expires_at < now() LIMIT 100)`,
      );
    },
  };
}

function toInteraction(r: Row): AuthorizationInteraction {
  return {
    clientId: r.client_id,
    redirectUri: r.redirect_uri,
    redirectUriSent: r.redirect_uri_sent,
    scope: r.scope,
    state: r.state,
    nonce: r.nonce,
    codeChallenge: r.code_challenge,
    prompt: r.prompt,
    maxAge: r.max_age,
    userId: r.user_id,
    loginAfter: r.login_after === null ? null : new Date(r.login_after),
    expiresAt: new Date(r.expires_at),
  };
}
