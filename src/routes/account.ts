import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser, signedIn } from '../guards/require-user.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';
import { revokeUserGrants } from '../oauth/revoke-user-grants.js';
import { csrfTokenFor, verifyCsrf } from '../sign-in/csrf.js';
import { accountPage } from '../views/pages/account.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';
import { changeOwnUsername } from '../users/change-username.js';

/** GET /account: the signed-in person's profile, connected apps and Google connection. */
export const accountRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);
  app.addHook('onRequest', requireUser('/account'));

  /** The account page of the signed-in person, with a notice or a username error; sign-in again when they are gone. */
  const showAccount = async (
    request: FastifyRequest,
    reply: FastifyReply,
    shown: { notice?: string | null; usernameError?: string; status?: number } = {},
  ) => {
    const user = await app.repos.users.findById(signedIn(request).user.id);
    if (!user) return reply.redirect(`/login?${new URLSearchParams({ return_to: '/account' })}`, 302);
    const [credential, apps] = await Promise.all([
      app.repos.googleCredentials.findByOwner({ userId: user.id }),
      app.repos.tokenFamilies.appsOfUser(user.id),
    ]);
    const { status, ...messages } = shown;
    return sendPage(
      reply,
      accountPage({ user, credential, apps, csrfToken: csrfTokenFor(request)!, ...messages }),
      status,
    );
  };
  const formExpired = (reply: FastifyReply) =>
    sendPage(
      reply,
      errorPage({
        title: 'This form has expired',
        message: 'Please reload your account page and try again.',
        retryUrl: '/account',
      }),
      403,
    );

  app.get(
    '/account',
    { schema: { hide: true, querystring: z.object({ done: z.literal('username').optional() }) } },
    async (request, reply) =>
      showAccount(request, reply, { notice: request.query.done === 'username' ? 'Username changed.' : null }),
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
      if (!verifyCsrf(request, request.body.csrf_token)) return formExpired(reply);
      const outcome = await changeOwnUsername(app, signedIn(request).user.id, request.body.new_username, request.ip);
      if (outcome.ok) return reply.redirect('/account?done=username', 303);
      return showAccount(request, reply, { usernameError: outcome.message, status: outcome.status });
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
      if (!verifyCsrf(request, request.body.csrf_token)) return formExpired(reply);
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
