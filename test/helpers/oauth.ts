import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/storage/database.js';
import { sha256Hex } from '../../src/crypto/hash.js';
import { basicAuth, type RegisteredClient } from './admin.js';

export interface SeededUser {
  id: string;
  username: string;
  email: string;
}

/** A user row as Google sign-in would leave it. */
export async function seedUser(db: Database, over: Partial<SeededUser & { name: string }> = {}): Promise<SeededUser> {
  const id = over.id ?? randomUUID();
  const username = over.username ?? `user_${randomBytes(4).toString('hex')}`;
  const email = over.email ?? `${username}@example.com`;
  await db.query(
    `INSERT INTO users (id, google_sub, email, email_verified, username, first_name, last_name, name)
     VALUES ($1, $2, $3, true, $4, 'Ada', 'Lovelace', $5)`,
    [id, `g-${id}`, email, username, over.name ?? 'Ada Lovelace'],
  );
  return { id, username, email };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface MintCodeOptions {
  clientId: string;
  userId: string;
  redirectUri?: string | null;
  scope?: string;
  challenge?: string;
  nonce?: string;
  ttlSeconds?: number;
}

/**
 * Writes an authorization code exactly as /oauth/authorize does (only its SHA-256 is stored) and
 * returns the code: token-endpoint tests start after the browser part.
 */
export async function mintCode(db: Database, o: MintCodeOptions): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge,
       code_challenge_method, nonce, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
    [
      sha256Hex(code),
      o.clientId,
      o.userId,
      o.redirectUri === undefined ? 'https://app.example.com/callback' : o.redirectUri,
      o.scope ?? 'openid profile email',
      o.challenge ?? null,
      o.challenge ? 'S256' : null,
      o.nonce ?? null,
      o.ttlSeconds ?? 60,
    ],
  );
  return code;
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export function form(params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p.append(k, v);
  return p.toString();
}

/** POST a form to an OAuth endpoint as a confidential client using Basic auth. */
export function postAs(
  app: App,
  client: RegisteredClient,
  url: string,
  params: Record<string, string | undefined>,
  ip = '10.9.0.1',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...FORM, authorization: basicAuth(client.client_id, client.client_secret!) },
    payload: form(params),
    remoteAddress: ip,
  });
}

/** The introspection answer (RFC 7662) for a token, asked by `asker` (a resource server or the token's client). */
export async function introspectAs(
  app: App,
  asker: RegisteredClient,
  token: string,
  hint?: 'access_token' | 'refresh_token',
) {
  return (await postAs(app, asker, '/oauth/introspect', { token, token_type_hint: hint })).json<{ active: boolean }>();
}

export interface UserTokens {
  access_token: string;
  refresh_token: string;
}

/**
 * A user's tokens the way a client gets them: a minted code (no redirect URI) redeemed at the
 * real token endpoint of `app` (the app under test unless another instance is named).
 */
export async function redeemCode(
  t: { app: App; db: Database },
  client: RegisteredClient,
  userId: string,
  opts: { scope?: string; app?: App } = {},
): Promise<UserTokens> {
  const code = await mintCode(t.db, { clientId: client.client_id, userId, redirectUri: null, scope: opts.scope });
  const res = await postAs(opts.app ?? t.app, client, '/oauth/token', { grant_type: 'authorization_code', code });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<UserTokens>();
}
