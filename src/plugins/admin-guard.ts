import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../crypto/hash.js';
import { unauthorized, unavailable } from '../oauth/errors.js';
import { CredentialLimits } from '../security/auth-limits.js';
import { FailureLimiter } from '../security/rate-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Checks X-Admin-Key, compared in constant time, failures limited per IP. Admin scopes use
     * it through the `requireAdmin` guard (src/guards/require-admin.ts).
     */
    requireAdminKey: (request: FastifyRequest) => Promise<void>;
  }
}

export const ADMIN_FAILURES_PER_MINUTE = 10;

/** The admin key and the per-address failure limits behind the `requireAdmin` guard. */
export const adminGuardPlugin = fp(
  async (app) => {
    const limits = new CredentialLimits({
      kind: 'admin_key',
      failures: app.authFailures,
      refusal: 'too many failed admin key attempts; try again later',
      byAddress: [new FailureLimiter(app.cache, 'admin', ADMIN_FAILURES_PER_MINUTE, 60_000)],
    });
    const expected = app.config.secrets.admin_key;

    app.decorate('requireAdminKey', async (request: FastifyRequest) => {
      if (!expected) throw unavailable('the admin API is disabled: set ADMIN_KEY to enable it');
      // The comparison is cheap and constant-time, so it runs first: a right key is never counted
      // (an admin's parallel requests cannot use up the limit), a wrong one is counted before its
      // refusal is decided (a burst of guesses cannot pass the limit). Once an address has used up
      // its failures even a right key waits out the window, or the limit would tell a guesser
      // when it has succeeded.
      const presented = request.headers['x-admin-key'];
      if (typeof presented === 'string' && constantTimeEqual(presented, expected)) {
        await limits.check(request.ip);
        return;
      }
      const attempt = await limits.begin(request.ip);
      attempt.failed();
      request.log.warn({ ip: request.ip }, 'admin key rejected');
      throw unauthorized(presented ? 'invalid X-Admin-Key' : 'X-Admin-Key header required');
    });
  },
  { name: 'admin-guard', dependencies: ['core', 'auth-failures'] },
);
