import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cache } from '../cache/cache.js';
import type { Config } from '../config/schema.js';
import type { Repositories } from '../repositories/index.js';
import { sessionIdHash, type Session } from '../repositories/sessions.js';
import type { User } from '../repositories/users.js';
import type { Queryable } from '../storage/database.js';
import { cookieName } from './cookie-name.js';

/** `__Host-gh_session` on an https PUBLIC_URL (see cookieName). */
export const SESSION_COOKIE = 'gh_session';
/** A page view within this long of the last recorded one does not write to Postgres. */
export const TOUCH_INTERVAL_MS = 60_000;
/** How long a session lookup is served from the cache; logout deletes the entry at once. */
export const SESSION_CACHE_TTL_MS = 30_000;

/** The signed-in person, as pages need them. */
export type SessionUser = Pick<
  User,
  'id' | 'username' | 'email' | 'emailVerified' | 'name' | 'firstName' | 'lastName' | 'picture'
>;

/** A live session and its person, as a request carries them. */
export interface ResolvedSession {
  session: Session;
  user: SessionUser;
}

export interface SessionManager {
  /** The session cookie's name (`__Host-` prefixed on https). */
  readonly cookieName: string;
  /** Creates a session row (in tx when given); set the cookie with setCookie once committed. */
  create(userId: string, tx?: Queryable): Promise<{ id: string; session: Session }>;
  setCookie(reply: FastifyReply, id: string): void;
  /** The live session behind a cookie value (sliding its idle expiry), or null; `ip` is the caller's, for the audit trail. */
  resolve(id: string, ip?: string): Promise<ResolvedSession | null>;
  /** Ends the request's session (row and cache entry) and clears the cookie. */
  end(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Drops a session from the cache after its row was deleted in a transaction. */
  forget(idHash: string): Promise<void>;
  /** Ends every session of a person (account removed, security event). */
  endAllForUser(userId: string): Promise<void>;
}

export interface SessionManagerDeps {
  repos: Pick<Repositories, 'sessions' | 'users'>;
  cache: Cache;
  config: Pick<Config, 'public_url' | 'security'>;
  /** Called when the cache cannot answer (Postgres then decides alone). */
  warn: (err: unknown) => void;
  /** Told once per session found past its limit (product rule: session expiry is audited). */
  expired?: (session: Session, limit: 'idle' | 'absolute', ip: string | undefined) => void;
}

/**
 * Server-side browser sessions. The cookie holds an opaque random id; Postgres holds only its
 * SHA-256, so a database leak yields no usable cookie. Lookups go through the cache (short TTL)
 * so a page view is usually not a database round trip; the idle expiry slides, but is written at
 * most once per TOUCH_INTERVAL_MS.
 */
export function createSessionManager(deps: SessionManagerDeps): SessionManager {
  const { sessions: repository, users } = deps.repos;
  const config = deps.config;
  const cache = safeCache(deps.cache, deps.warn);
  const secure = new URL(config.public_url).protocol === 'https:';
  const sessionCookie = cookieName(SESSION_COOKIE, secure);
  const cacheKey = (idHash: string) => `session:${idHash}`;

  const load = async (idHash: string): Promise<ResolvedSession | null> => {
    const cached = await cache.get(cacheKey(idHash));
    if (cached) return revive(JSON.parse(cached) as ResolvedSession);
    const session = await repository.findByHash(idHash);
    if (!session) return null;
    const user = await users.findById(session.userId);
    if (!user) return null;
    const entry = { session, user: toSessionUser(user) };
    await cache.set(cacheKey(idHash), JSON.stringify(entry), SESSION_CACHE_TTL_MS);
    return entry;
  };

  return {
    cookieName: sessionCookie,
    create: (userId, tx) => repository.create(userId, tx),
    setCookie(reply, id) {
      reply.setCookie(sessionCookie, id, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure,
        maxAge: config.security.session_days * 86_400,
      });
    },
    async resolve(id, ip) {
      const idHash = sessionIdHash(id);
      const entry = await load(idHash);
      if (!entry) return null;
      const now = Date.now();
      if (entry.session.expiresAt.getTime() <= now || entry.session.idleExpiresAt.getTime() <= now) {
        const deleted = await repository.delete(idHash);
        await cache.del(cacheKey(idHash));
        // Once: a second request racing this one finds no row to delete.
        if (deleted) deps.expired?.(entry.session, entry.session.expiresAt.getTime() <= now ? 'absolute' : 'idle', ip);
        return null;
      }
      if (now - entry.session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return entry;
      const touched = await repository.touch(idHash);
      if (!touched) {
        await cache.del(cacheKey(idHash));
        return null;
      }
      const fresh = { ...entry, session: touched };
      await cache.set(cacheKey(idHash), JSON.stringify(fresh), SESSION_CACHE_TTL_MS);
      return fresh;
    },
    async end(request, reply) {
      const id = request.cookies[sessionCookie];
      if (id) {
        const idHash = sessionIdHash(id);
        await repository.delete(idHash);
        await cache.del(cacheKey(idHash));
      }
      request.session = null;
      request.user = null;
      reply.clearCookie(sessionCookie, { httpOnly: true, sameSite: 'lax', path: '/', secure });
    },
    async forget(idHash) {
      await cache.del(cacheKey(idHash));
    },
    async endAllForUser(userId) {
      const hashes = await repository.deleteForUser(userId);
      if (hashes.length > 0) await cache.del(...hashes.map(cacheKey));
    },
  };
}

function toSessionUser(u: User): SessionUser {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    emailVerified: u.emailVerified,
    name: u.name,
    firstName: u.firstName,
    lastName: u.lastName,
    picture: u.picture,
  };
}

function revive(entry: ResolvedSession): ResolvedSession {
  const s = entry.session;
  return {
    user: entry.user,
    session: {
      ...s,
      createdAt: new Date(s.createdAt),
      // An entry cached before sessions recorded auth_time: the session opened at its callback.
      authTime: new Date((s as Partial<Session>).authTime ?? s.createdAt),
      lastSeenAt: new Date(s.lastSeenAt),
      idleExpiresAt: new Date(s.idleExpiresAt),
      expiresAt: new Date(s.expiresAt),
    },
  };
}

/**
 * The session cache is an optimisation: when Redis cannot answer, reads miss and writes are
 * skipped, and Postgres (the system of record) decides alone.
 */
function safeCache(cache: Cache, warn: (err: unknown) => void): Pick<Cache, 'get' | 'set' | 'del'> {
  const guard = async <T>(fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      warn(err);
      return fallback;
    }
  };
  return {
    get: (key) => guard(() => cache.get(key), null),
    set: (key, value, ttl) => guard(() => cache.set(key, value, ttl), undefined),
    del: (...keys) => guard(() => cache.del(...keys), undefined),
  };
}
