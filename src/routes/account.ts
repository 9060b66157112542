import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser, signedIn } from '../guards/require-user.js';
import { useHtmlErrors } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';
import { revokeUserGrants } from '../oauth/revoke-user-grants.js';
import { csrfTokenFor, verifyCsrf } from '../sign-in/csrf.js';
import { accountPage } from '../views/pages/account.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';
import { changeOwnUsername } from '../users/change-username.js';

/** GET /account: the signed-in person's profile, connected apps and Google connection. */
export const accountRoutes: FastifyPluginAsyncZod = async (app) => {
  useHtmlErrors(app);
  app.addHook('onRequest', noStore);
  app.addHook('onRequest', requireUser('/account'));

  app.get(
    '/account',
    { schema: { hide: true, querystring: z.object({ done: z.literal('username').optional() }) } },
    async (request, reply) => {
      const user = await app.repos.users.findById(signedIn(request).user.id);
      if (!user) return reply.redirect(`/login?${new URLSearchParams({ return_to: '/account' })}`, 302);
      const [credential, apps] = await Promise.all([
        app.repos.googleCredentials.findByOwner({ userId: user.id }),
        app.repos.tokenFamilies.appsOfUser(user.id),
      ]);
      const notice = request.query.done === 'username' ? 'Username changed.' : null;
      return sendPage(reply, accountPage({ user, credential, apps, csrfToken: csrfTokenFor(request)!, notice }));
    },
  );

  /** The person's own username change: the rules of /api/update_username, from their browser session. */
  app.post(
    '/account/username',
    {
      schema: {
        hide: true,
        body: z.object({ csrf_token: z.string().max(256).optional(), new_username: z.string().max(256) }),
      },
    },
    async (request, reply) => {
      const userId = signedIn(request).user.id;
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
      const outcome = await changeOwnUsername(app, userId, request.body.new_username, request.ip);
      if (outcome.ok) return reply.redirect('/account?done=username', 303);
      const user = await app.repos.users.findById(userId);
      if (!user) return reply.redirect('/login?return_to=/account', 303);
      const [credential, apps] = await Promise.all([
        app.repos.googleCredentials.findByOwner({ userId: user.id }),
        app.repos.tokenFamilies.appsOfUser(user.id),
      ]);
      return sendPage(
        reply,
        accountPage({ user, credential, apps, csrfToken: csrfTokenFor(request)!, usernameError: outcome.message }),
        outcome.status,
      );
    },
  );

  /** Revokes everything the signed-in person gave one app (tokens and remembered consent). */
  app.post(
    '/account/apps/:clientId/revoke',
    {
      schema: {
        hide: true,
        params: z.object({ clientId: z.string().min(1).max(128) }),
        body: z.object({ csrf_token: z.string().max(256).optional() }),
      },
    },
    async (request, reply) => {
      const userId = signedIn(request).user.id;
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
      const revoked = await revokeUserGrants(app, userId, request.params.clientId, 'revoked_by_user');
      app.audit({
        event: 'revoke',
        actor: userId,
        client_id: request.params.clientId,
        ip: request.ip,
        details: { families: revoked, by: 'account_page' },
      });
      return reply.redirect('/account', 303);
    },
  );
};
