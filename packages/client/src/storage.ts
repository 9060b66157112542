import type { GatehouseUser } from './user.js';

/** What the SDK keeps between runs. Tokens are secrets: never log a StoredSession. */
export interface StoredSession {
  accessToken: string;
  refreshToken?: string;
  /** Access token expiry in ms since the epoch; absent when the server sent no expires_in. */
  expiresAt?: number;
  scope?: string;
  /** The person per the last validated ID token: getUser()'s fallback without userinfo. */
  idTokenUser?: GatehouseUser;
  /** The last ID token, sent as id_token_hint when logout() ends the provider session. */
  idToken?: string;
}

/** Where a session lives. `get` answers null when there is none (or it is unreadable). */
export interface TokenStorage {
  get(): Promise<StoredSession | null>;
  set(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
}

/** In-process storage: tests, and apps that must not write to disk. Share one to share a session. */
export class MemoryTokenStorage implements TokenStorage {
  private session: StoredSession | null = null;

  async get(): Promise<StoredSession | null> {
    return this.session ? structuredClone(this.session) : null;
  }

  async set(session: StoredSession): Promise<void> {
    this.session = structuredClone(session);
  }

  async clear(): Promise<void> {
    this.session = null;
  }
}

/** A shape check for sessions read back from outside the process. */
export function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.accessToken === 'string' &&
    (v.refreshToken === undefined || typeof v.refreshToken === 'string') &&
    (v.expiresAt === undefined || typeof v.expiresAt === 'number') &&
    (v.scope === undefined || typeof v.scope === 'string') &&
    (v.idToken === undefined || typeof v.idToken === 'string') &&
    (v.idTokenUser === undefined ||
      (typeof v.idTokenUser === 'object' &&
        v.idTokenUser !== null &&
        typeof (v.idTokenUser as GatehouseUser).sub === 'string'))
  );
}
