import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Client } from '../clients/client.js';
import { verifyCsrf, csrfTokenFor } from '../sign-in/csrf.js';
import { errorPage } from '../views/pages/error.js';
import { logoutConfirmPage, signedOutPage } from '../views/pages/logout.js';
import { sendPage } from '../views/reply.js';
import { FORM, html, redirect, security } from '../openapi/components.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';

const value = z.string().max(8192).optional();
const logoutParams = z.object({
  id_token_hint: value,
  client_id: value,
  post_logout_redirect_uri: value,
  state: z.string().max(1024).optional(),
  ui_locales: value,
  logout_hint: value,
});
type LogoutParams = z.infer<typeof logoutParams>;

/** Where to send the browser afterwards: a registered post-logout URI, with state. */
interface Destination {
  client: Client | null;
  redirect: string | null;
}

/**
 * OpenID Connect RP-Initiated Logout 1.0 at /oauth/logout (GET and POST, §2). With an
 * id_token_hint that this server issued to the signed-in person the session ends at once;
 * otherwise the person is asked to confirm (§2: the OP "SHOULD ask the End-User whether to log
 * out"). post_logout_redirect_uri is used only when it is registered for the client the request
 * names (client_id or the hint's aud, §3.1); state goes back with it.
 */
export const rpLogoutRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);

  const docs = {
    tags: ['oauth'],
    summary: 'End the browser session (OpenID Connect RP-Initiated Logout 1.0 §2), then back to the client',
    security: security.none,
  };
  const responses = {
    200: html('Signed out, or the confirmation page (no id_token_hint for the signed-in person)'),
    303: redirect('To the registered post_logout_redirect_uri, with state'),
    400: html('The id_token_hint or post_logout_redirect_uri is not valid: an error page'),
  };

  app.get(
    '/oauth/logout',
    { schema: { ...docs, querystring: logoutParams }, config: { openapi: { response: responses } } },
    async (request, reply) => endSession(request, reply, request.query),
  );
  app.post(
    '/oauth/logout',
    { schema: { ...docs, body: logoutParams, consumes: FORM }, config: { openapi: { response: responses } } },
    async (request, reply) => endSession(request, reply, request.body),
  );

  app.post(
    '/oauth/logout/confirm',
    {
      schema: {
        hide: true,
        body: logoutParams.extend({
          csrf_token: z.string().max(256).optional(),
          decision: z.string().max(32).optional(),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const destination = await destinationOf(body, undefined);
      if (destination === 'invalid') return invalidDestination(reply);
      if (request.session && !verifyCsrf(request, body.csrf_token)) {
        return sendPage(
          reply,
          errorPage({
            title: 'Sign-out not confirmed',
            message: 'The sign-out form expired. Please try again.',
            retryUrl: '/account',
          }),
          403,
        );
      }
      const signOut = body.decision === 'logout';
      if (signOut && request.session) await endFor(request, reply, destination.client);
      return finish(reply, destination, body.state, signOut);
    },
  );

  async function endSession(request: FastifyRequest, reply: FastifyReply, params: LogoutParams) {
    const hint = params.id_token_hint ? await app.tokens.verifyIdTokenHint(params.id_token_hint) : null;
    if (params.id_token_hint && !hint) {
      return sendPage(
        reply,
        errorPage({
          title: 'This sign-out link is not valid',
          message: 'The application sent a sign-out request Gatehouse cannot verify.',
          retryUrl: '/account',
        }),
        400,
      );
    }
    // §2: "If both client_id and id_token_hint are present, the OP MUST verify that the Client
    // Identifier matches the one used when issuing the ID Token."
    if (hint && params.client_id && !hint.aud.includes(params.client_id)) {
      return sendPage(
        reply,
        errorPage({
          title: 'This sign-out link is not valid',
          message: 'The application and the sign-out request do not match.',
          retryUrl: '/account',
        }),
        400,
      );
    }
    const destination = await destinationOf(params, hint?.aud[0]);
    if (destination === 'invalid') return invalidDestination(reply);
    if (!request.session || !request.user) return finish(reply, destination, params.state, true);
    if (hint && hint.sub === request.user.id) {
      await endFor(request, reply, destination.client);
      return finish(reply, destination, params.state, true);
    }
    const fields: Record<string, string> = { csrf_token: csrfTokenFor(request)! };
    if (destination.client) fields.client_id = destination.client.id;
    if (destination.redirect) fields.post_logout_redirect_uri = destination.redirect;
    if (params.state !== undefined) fields.state = params.state;
    return sendPage(
      reply,
      logoutConfirmPage({ username: request.user.username, appName: destination.client?.app_name ?? null, fields }),
    );
  }

  async function destinationOf(
    params: LogoutParams,
    hintedClientId: string | undefined,
  ): Promise<Destination | 'invalid'> {
    const clientId = params.client_id ?? hintedClientId;
    const client = clientId ? await app.clientStore.findById(clientId) : null;
    const usable = client && !client.disabled ? client : null;
    if (params.post_logout_redirect_uri === undefined) return { client: usable, redirect: null };
    // §3.1: the value MUST have been registered; it is compared as an exact string.
    if (!usable || !usable.post_logout_redirect_uris.includes(params.post_logout_redirect_uri)) return 'invalid';
    return { client: usable, redirect: params.post_logout_redirect_uri };
  }

  async function endFor(request: FastifyRequest, reply: FastifyReply, client: Client | null) {
    const userId = request.user!.id;
    await app.sessions.end(request, reply);
    app.audit({
      event: 'logout',
      actor: userId,
      subject: userId,
      client_id: client?.id ?? null,
      ip: request.ip,
      details: { via: 'end_session_endpoint' },
    });
  }

  function finish(reply: FastifyReply, destination: Destination, state: string | undefined, signedOut: boolean) {
    if (!destination.redirect) return sendPage(reply, signedOutPage({ signedOut }));
    const url = new URL(destination.redirect);
    if (state !== undefined) url.searchParams.set('state', state);
    return reply.redirect(url.toString(), 303);
  }

  function invalidDestination(reply: FastifyReply) {
    return sendPage(
      reply,
      errorPage({
        title: 'This sign-out link is not valid',
        message: 'The address the application asked to return to is not registered for it.',
        retryUrl: '/account',
      }),
      400,
    );
  }
};
