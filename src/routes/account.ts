import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { revokeUserGrants } from '../oauth/revoke-user-grants.js';
import { verifyCsrf } from '../sign-in/csrf.js';
import { errorPage } from '../views/pages/error.js';
import { csrfTokenFor } from '../sign-in/csrf.js';
import { accountPage } from '../views/pages/account.js';
import { sendPage } from '../views/reply.js';
import { useHtmlErrors } from './html-errors.js';

/** GET /account: the signed-in person's profile, connected apps and Google connection. */
export async function accountRoutes(scope: FastifyInstance): Promise<void> {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  useHtmlErrors(app);
  app.get('/account', async (request, reply) => {
    const user = request.user ? await app.repos.users.findById(request.user.id) : null;
    if (!user || !request.session) {
      return reply
        .header('cache-control', 'no-store')
        .redirect(`/login?${new URLSearchParams({ return_to: '/account' })}`, 302);
    }
    const [credential, apps] = await Promise.all([
      app.repos.googleCredentials.findByOwner({ userId: user.id }),
      app.repos.tokenFamilies.appsOfUser(user.id),
    ]);
    return sendPage(reply, accountPage({ user, credential, apps, csrfToken: csrfTokenFor(request)! }));
  });

  /** Revokes everything the signed-in person gave one app (tokens and remembered consent). */
  app.post(
    '/account/apps/:clientId/revoke',
    {
      schema: {
        params: z.object({ clientId: z.string().min(1).max(128) }),
        body: z.object({ csrf_token: z.string().max(256).optional() }),
      },
    },
    async (request, reply) => {
      if (!request.user || !request.session) return reply.redirect('/login?return_to=/account', 303);
      if (!verifyCsrf(request, request.body.csrf_token)) {
        return sendPage(
          reply,
          errorPage({
            title: 'This form has expired',
            message: 'Please reload your account page and try again.',
            retryUrl: '/account',
          }),
          403,
        );
      }
      const revoked = await revokeUserGrants(app, request.user.id, request.params.clientId, 'revoked_by_user');
      app.audit({
        event: 'revoke',
        actor: request.user.id,
        client_id: request.params.clientId,
        ip: request.ip,
        details: { families: revoked, by: 'account_page' },
      });
      return reply.redirect('/account', 303);
    },
  );
}
