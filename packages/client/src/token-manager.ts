import * as oauth from 'oauth4webapi';
import type { ServerContext } from './discovery.js';
import { notLoggedIn, sessionEnded } from './errors.js';
import type { GatehouseEvents, TokenInfo } from './events.js';
import type { TypedEvents } from './events.js';
import type { StoredSession, TokenStorage } from './storage.js';
import { userFromIdTokenClaims } from './user.js';

export interface TokenManagerDeps {
  storage: TokenStorage;
  server: () => Promise<ServerContext>;
  events: TypedEvents<GatehouseEvents>;
  /** Refresh this long before the access token expires, so it does not expire in flight. */
  skewMs: number;
}

/**
 * The refresh in flight per storage object, so that clients in one process that share a storage
 * (a restored session next to the one that logged in) also share the refresh. Processes sharing
 * a file do not: the second would replay a rotated token; refresh_token_grace_seconds covers that.
 */
const refreshesByStorage = new WeakMap<TokenStorage, Promise<StoredSession>>();

/**
 * The session's lifecycle: hands out a fresh access token, refreshes it (one refresh at a time),
 * and ends the session when the server refuses the refresh token. Storage is read on every use,
 * so clients sharing one storage see each other's refreshes.
 */
export class TokenManager {
  private ending: Promise<boolean> | null = null;

  constructor(private readonly deps: TokenManagerDeps) {}

  /** The stored session, refreshed first when its access token expires within the skew. */
  async freshSession(): Promise<StoredSession> {
    const session = await this.deps.storage.get();
    if (!session) throw notLoggedIn();
    return this.expiresSoon(session) ? this.refresh(session) : session;
  }

  /**
   * Single flight: every caller during a refresh shares its promise, so ten concurrent requests
   * on an expired token spend the refresh token once. Spending it twice would not just waste a
   * request: with rotation, the second use is a replay and revokes the family (RFC 9700 §4.14.2).
   * `seen` is the session the caller found stale; if storage already holds a newer one (a refresh
   * that finished just before), that one is returned instead of refreshing again.
   */
  refresh(seen?: StoredSession): Promise<StoredSession> {
    const { storage } = this.deps;
    let running = refreshesByStorage.get(storage);
    if (!running) {
      running = this.runRefresh(seen).finally(() => refreshesByStorage.delete(storage));
      refreshesByStorage.set(storage, running);
    }
    return running;
  }

  async store(tokens: oauth.TokenEndpointResponse, previous?: StoredSession): Promise<StoredSession> {
    const session = sessionFrom(tokens, previous);
    await this.deps.storage.set(session);
    this.deps.events.emit('tokens', tokenInfo(session));
    return session;
  }

  /**
   * Clears storage and emits `logout` if there was a session; `revoke` runs first with the
   * session being ended. Serialised, so concurrent ends (a failed refresh and a logout() call)
   * emit `logout` once. Resolves whether a session was ended.
   */
  end(revoke?: (session: StoredSession) => Promise<void>): Promise<boolean> {
    this.ending ??= this.runEnd(revoke).finally(() => {
      this.ending = null;
    });
    return this.ending;
  }

  /** Lets a running refresh settle, so logout() revokes the newest refresh token. */
  async settle(): Promise<void> {
    await refreshesByStorage.get(this.deps.storage)?.catch(() => undefined);
  }

  private async runRefresh(seen: StoredSession | undefined): Promise<StoredSession> {
    const current = await this.deps.storage.get();
    if (!current) throw notLoggedIn();
    if (seen && current.accessToken !== seen.accessToken && !this.expiresSoon(current)) return current;
    if (!current.refreshToken) {
      await this.end();
      throw sessionEnded('the access token expired and there is no refresh token');
    }
    const { as, client, http } = await this.deps.server();
    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), current.refreshToken, http);
      tokens = await oauth.processRefreshTokenResponse(as, client, response);
    } catch (err) {
      // RFC 6749 §5.2: invalid_grant means the refresh token is "invalid, expired, revoked ...":
      // the session cannot come back. Anything else (a network error, a 503) may pass, so the
      // session is kept and the error goes to the caller.
      if (err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant') {
        await this.end();
        throw sessionEnded('the server refused the refresh token (invalid_grant)', err);
      }
      throw err;
    }
    return this.store(tokens, current);
  }

  private async runEnd(revoke: ((session: StoredSession) => Promise<void>) | undefined): Promise<boolean> {
    const session = await this.deps.storage.get();
    if (!session) return false;
    try {
      await revoke?.(session);
    } finally {
      await this.deps.storage.clear();
      this.deps.events.emit('logout');
    }
    return true;
  }

  private expiresSoon(session: StoredSession): boolean {
    return session.expiresAt !== undefined && session.expiresAt - this.deps.skewMs <= Date.now();
  }
}

/** A token response as stored; an answer without refresh token or ID token keeps the previous ones. */
export function sessionFrom(tokens: oauth.TokenEndpointResponse, previous?: StoredSession): StoredSession {
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  const session: StoredSession = { accessToken: tokens.access_token };
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  if (refreshToken) session.refreshToken = refreshToken;
  if (tokens.expires_in !== undefined) session.expiresAt = Date.now() + tokens.expires_in * 1000;
  const scope = tokens.scope ?? previous?.scope;
  if (scope) session.scope = scope;
  const idTokenUser = claims ? userFromIdTokenClaims(claims) : previous?.idTokenUser;
  if (idTokenUser) session.idTokenUser = idTokenUser;
  const idToken = tokens.id_token ?? previous?.idToken;
  if (idToken) session.idToken = idToken;
  return session;
}

export function tokenInfo(session: StoredSession): TokenInfo {
  return {
    expiresAt: session.expiresAt === undefined ? undefined : new Date(session.expiresAt),
    scope: session.scope ? session.scope.split(' ') : [],
  };
}
