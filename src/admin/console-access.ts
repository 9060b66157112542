import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cache } from '../cache/cache.js';
import type { Config } from '../config/schema.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { SessionUser } from '../sign-in/session-manager.js';
import { verifyCsrf } from '../sign-in/csrf.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';

/**
 * Whether a signed-in person may use /admin: their Google email is verified and listed in
 * admin.emails. In dev mode with no list, every person the mock Google signs in is an admin
 * (product rule), so a fresh checkout has a usable console.
 */
export function isConsoleAdmin(config: Pick<Config, 'admin' | 'dev_mode'>, user: SessionUser): boolean {
  if (config.admin.emails.length === 0) return config.dev_mode;
  if (!user.email || !user.emailVerified) return false;
  return config.admin.emails.includes(user.email.toLowerCase());
}

/** The audit actor of a console action: the admin's user id and address. */
export function consoleActor(request: FastifyRequest): AdminActor {
  return { actor: request.user!.id, ip: request.ip };
}

const activityKey = (sessionIdHash: string) => `admin-active:${sessionIdHash}`;

/**
 * The preHandler of every /admin route, in order: signed out → /login with return_to; not an
 * admin → 403 page; idle longer than admin.session_minutes (since the last console request, or
 * the sign-in) → through Google again; a POST without this session's CSRF token → 403 page.
 * Activity is kept in the cache (shared by every instance); when the cache cannot answer, the
 * admin is asked to sign in again rather than let in.
 */
export function consoleGuard(deps: { config: Config; cache: Cache }) {
  const idleMs = deps.config.admin.session_minutes * 60_000;
  return async function requireConsoleAdmin(
    request: FastifyRequest<{ Body: { csrf_token?: string } | undefined }>,
    reply: FastifyReply,
  ) {
    const returnTo = request.method === 'GET' ? request.url : '/admin';
    const status = request.method === 'GET' ? 302 : 303;
    if (!request.user || !request.session) {
      return reply
        .header('cache-control', 'no-store')
        .redirect(`/login?${new URLSearchParams({ return_to: returnTo })}`, status);
    }
    if (!isConsoleAdmin(deps.config, request.user)) {
      request.log.warn({ userId: request.user.id }, 'admin console refused: not an admin');
      return sendPage(
        reply,
        errorPage({
          title: 'Not an administrator',
          message: `You are signed in as ${request.user.email ?? request.user.username}, which is not an administrator account of this Gatehouse.`,
          retryUrl: '/account',
          retryLabel: 'Go to your account',
        }),
        403,
      );
    }
    const key = activityKey(request.session.idHash);
    const seen = await deps.cache.get(key).catch(() => null);
    const lastActive = Math.max(Number(seen) || 0, request.session.authTime.getTime());
    const now = Date.now();
    if (now - lastActive > idleMs) {
      return reply
        .header('cache-control', 'no-store')
        .redirect(`/auth/google/start?${new URLSearchParams({ return_to: returnTo })}`, status);
    }
    if (request.method === 'POST' && !verifyCsrf(request, request.body?.csrf_token)) {
      return sendPage(
        reply,
        errorPage({
          title: 'This form has expired',
          message: 'Please reload the page and try again.',
          retryUrl: '/admin',
          retryLabel: 'Back to the console',
        }),
        403,
      );
    }
    await deps.cache.set(key, String(now), idleMs).catch((err: unknown) => {
      request.log.warn({ err }, 'admin activity not recorded; the next request may ask for a sign-in');
    });
  };
}
