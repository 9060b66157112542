import fp from 'fastify-plugin';
import type { Session } from '../repositories/sessions.js';
import { createCsrf, type Csrf } from '../sign-in/csrf.js';
import { createSessionManager, type SessionManager, type SessionUser } from '../sign-in/session-manager.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionManager;
    csrf: Csrf;
  }
  interface FastifyRequest {
    /** The browser session behind the gh_session cookie, or null. */
    session: Session | null;
    /** The signed-in person, or null. */
    user: SessionUser | null;
  }
}

/** Decorates the session manager and CSRF, and puts the cookie's session on every request. */
export const sessionPlugin = fp(
  async (app) => {
    const manager = createSessionManager({
      repos: app.repos,
      cache: app.cache,
      config: app.config,
      warn: (err) => app.log.warn({ err }, 'session cache unavailable; using Postgres'),
      expired: (session, limit, ip) =>
        app.audit({ event: 'session_expired', subject: session.userId, ip: ip ?? null, details: { limit } }),
    });
    app.decorate('sessions', manager);
    app.decorate('csrf', createCsrf(app.config));
    app.decorateRequest('session', null);
    app.decorateRequest('user', null);

    // Machine clients send no session cookie: they leave at once, without a promise.
    app.addHook('onRequest', (request, _reply, done) => {
      const id = request.cookies[manager.cookieName];
      // randomToken(32) is 43 characters; anything far from that is not ours.
      if (!id || id.length > 128) return done();
      manager.resolve(id, request.ip).then((entry) => {
        if (entry) {
          request.session = entry.session;
          request.user = entry.user;
        }
        done();
      }, done);
    });
  },
  { name: 'session', dependencies: ['core', 'audit', '@fastify/cookie'] },
);
