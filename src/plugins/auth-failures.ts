import fp from 'fastify-plugin';
import { AuthFailureAudit } from '../audit/auth-failures.js';
import { FailureLimiter } from '../security/rate-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Tallies refused credentials per address and minute for the audit log. */
    authFailures: AuthFailureAudit;
    /** The per-address limit shared by client authentication and API keys. */
    addressFailureLimiter: FailureLimiter;
  }
}

/** product rule "Abuse limits": failures from one address, across client ids and API keys, per minute. */
export const ADDRESS_FAILURES_PER_MINUTE = 60;

/** What every credential check shares: the per-address failure limit and the refusal tally. */
export const authFailuresPlugin = fp(
  async (app) => {
    const failures = new AuthFailureAudit((event) => app.audit(event));
    failures.start();
    app.decorate('authFailures', failures);
    app.decorate(
      'addressFailureLimiter',
      new FailureLimiter(app.cache, 'auth-address', ADDRESS_FAILURES_PER_MINUTE, 60_000),
    );
    // Before the audit plugin's own onClose (hooks run in reverse), so the last tally is written.
    app.addHook('onClose', async () => failures.stop());
  },
  { name: 'auth-failures', dependencies: ['core', 'audit'] },
);
