import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { googleAuthorizationUrl, googleCallbackQuery } from '../sign-in/google-authorization.js';
import { clearStateCookie, readStateCookie } from '../sign-in/state-cookie.js';
import { constantTimeEqual } from '../crypto/hash.js';
import { deriveSecrets } from '../crypto/derive.js';
import { GoogleError } from '../google/errors.js';
import { IDENTITY_SCOPES } from '../google/client.js';
import type { ConnectLink } from '../repositories/connections.js';
import { CONNECT_LINK_TTL_SECONDS, verifyConnectLink } from '../vault/connect-link.js';
import { createConnectCsrf } from '../vault/connect-csrf.js';
import { ConnectLinkRefused, completeGoogleConnection } from '../vault/connect-google.js';
import { connectConfirmPage, connectResultPage } from '../views/pages/connect.js';
import { sendPage } from '../views/reply.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';

const linkToken = z.string().max(256);
/** Under the state cookie's path (/auth/google), so the cookie comes back here. */
export const CONNECT_CALLBACK_PATH = '/auth/google/connect/callback';

type Outcome = 'connected' | 'denied' | 'failed';

/**
 * The person's side of a connection. GET /connect?token=… only shows a confirmation page (who
 * asks, for which connection, which Google scopes): link previews and mail scanners that fetch
 * it spend nothing. The page's form (POST /connect, CSRF-protected) spends the link and sends
 * the person to Google's consent (offline access, prompt=consent); the callback completes the
 * link exactly once and stores the grant under the connection id. No Gatehouse session is
 * needed or created. The same state cookie as sign-in (state, nonce, PKCE) binds the callback
 * to this browser.
 */
export const connectRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);
  const secure = new URL(app.config.public_url).protocol === 'https:';
  const redirectUri = `${app.config.public_url}${CONNECT_CALLBACK_PATH}`;
  const linkKeys = deriveSecrets(app.config, 'connect-link');
  const googleOrigin = new URL(app.google.settings.authUrl).origin;
  const csrf = createConnectCsrf(deriveSecrets(app.config, 'connect-csrf'), secure, CONNECT_LINK_TTL_SECONDS);

  /** A signed link whose row can still be spent, or the page that says why not. */
  async function openableLink(reply: FastifyReply, token: string): Promise<ConnectLink | FastifyReply> {
    const check = verifyConnectLink(linkKeys, token);
    if (!check.ok) {
      return check.reason === 'expired'
        ? page(
            reply,
            410,
            'This link has expired',
            'Connect links work for 15 minutes. Ask the service that sent it for a new one.',
          )
        : page(
            reply,
            400,
            'This link is not valid',
            'The link is incomplete or was changed. Open the link exactly as you received it, or ask for a new one.',
          );
    }
    const link = await app.repos.connections.findLink(check.linkId);
    if (!link) return page(reply, 410, 'This link is no longer valid', 'Ask the service that sent it for a new one.');
    if (link.usedAt)
      return page(
        reply,
        410,
        'This link was already used',
        'Each connect link works once. Ask the service that sent it for a new one.',
      );
    if (link.expiresAt.getTime() <= Date.now()) {
      return page(
        reply,
        410,
        'This link has expired',
        'Connect links work for 15 minutes. Ask the service that sent it for a new one.',
      );
    }
    return link;
  }

  app.get(
    '/connect',
    { schema: { hide: true, querystring: z.object({ token: linkToken.optional() }) } },
    async (request, reply) => {
      const token = request.query.token ?? '';
      const link = await openableLink(reply, token);
      if (!isLink(link)) return link;
      const key = link.apiKeyId ? await app.repos.apiKeys.findById(link.apiKeyId) : null;
      const scopes = [...new Set([...IDENTITY_SCOPES, ...app.google.settings.scopes, ...link.scopes])];
      // Browsers apply form-action to the redirect that follows the form POST: Google's origin
      // must be allowed on this one page.
      const csp = String(reply.getHeader('content-security-policy') ?? '');
      reply.header('content-security-policy', csp.replace(/form-action [^;]*/, `form-action 'self' ${googleOrigin}`));
      return sendPage(
        reply,
        connectConfirmPage({
          serviceName: key?.name ?? 'A service',
          connectionId: link.connectionId,
          scopes,
          token,
          csrfToken: csrf.issue(reply, link.id),
        }),
      );
    },
  );

  app.post(
    '/connect',
    {
      schema: {
        hide: true,
        body: z.object({ token: linkToken.optional(), csrf_token: z.string().max(256).optional() }),
      },
    },
    async (request, reply) => {
      const token = request.body.token ?? '';
      const opened = await openableLink(reply, token);
      if (!isLink(opened)) return opened;
      if (!csrf.verify(request, opened.id, request.body.csrf_token)) {
        return page(
          reply,
          403,
          'Please confirm again',
          'This form could not be verified. Open the link again and press the button on its page.',
        );
      }
      csrf.clear(reply);
      // Single use: spent now, whatever happens at Google (a cancelled consent needs a new link).
      const spent = await app.repos.connections.consumeLink(opened.id);
      if (!spent.ok) {
        return spent.reason === 'used'
          ? page(
              reply,
              410,
              'This link was already used',
              'Each connect link works once. Ask the service that sent it for a new one.',
            )
          : page(reply, 410, 'This link is no longer valid', 'Ask the service that sent it for a new one.');
      }
      // Consent every time: only a consent screen makes Google issue a refresh token.
      const url = googleAuthorizationUrl(
        reply,
        { google: app.google, secure },
        { returnTo: '/', redirectUri, promptConsent: true, scopes: spent.link.scopes, connectLinkId: spent.link.id },
      );
      return reply.redirect(url, 303);
    },
  );

  app.get(
    CONNECT_CALLBACK_PATH,
    {
      schema: {
        hide: true,
        querystring: googleCallbackQuery,
      },
    },
    async (request, reply) => {
      const q = request.query;
      const saved = readStateCookie(request, secure);
      clearStateCookie(reply, secure);
      const link = saved?.connectLinkId ? await app.repos.connections.findLink(saved.connectLinkId) : null;
      if (!saved || !link?.usedAt) {
        return page(
          reply,
          400,
          'Connection expired',
          'This attempt expired or was started in another browser. Open a new connect link.',
        );
      }
      if (link.completedAt) return refusedLink(reply);
      // RFC 6749 §10.12: the state must match the value bound to this browser.
      if (!q.state || !constantTimeEqual(q.state, saved.state)) {
        return page(
          reply,
          400,
          'Connection could not be verified',
          'The answer from Google did not belong to this attempt. Open a new connect link.',
        );
      }

      /** Ends the link without connecting anything, then tells the person (or their service). */
      const endWithout = async (
        outcome: Exclude<Outcome, 'connected'>,
        status: number,
        title: string,
        message: string,
      ) => {
        if (!(await app.repos.connections.completeLink(link.id))) return refusedLink(reply);
        return link.returnTo ? sendBack(reply, link, outcome) : page(reply, status, title, message);
      };

      if (q.error) {
        return q.error === 'access_denied'
          ? endWithout('denied', 400, 'Connection cancelled', 'You did not allow access, so nothing was connected.')
          : endWithout(
              'failed',
              400,
              'Google could not connect your account',
              'Google ended the attempt with an error. Ask for a new link and try again.',
            );
      }
      if (!q.code)
        return endWithout(
          'failed',
          400,
          'Connection could not be completed',
          'Google did not send a code. Open a new connect link.',
        );

      try {
        await completeGoogleConnection(app, {
          code: q.code,
          verifier: saved.verifier,
          nonce: saved.nonce,
          redirectUri,
          link,
        });
      } catch (err) {
        if (err instanceof ConnectLinkRefused) return refusedLink(reply);
        if (!(err instanceof GoogleError)) throw err;
        const upstream = err.kind === 'unavailable' || err.kind === 'rate_limited' || err.kind === 'rejected';
        request.log[err.kind === 'rejected' ? 'error' : 'warn'](
          { kind: err.kind, endpoint: err.endpoint, status: err.status, googleError: err.googleError },
          'google connection failed',
        );
        return upstream
          ? endWithout(
              'failed',
              502,
              'Google is not answering',
              'Google did not complete the connection. Ask for a new link and try again in a moment.',
            )
          : endWithout(
              'failed',
              400,
              'Connection could not be completed',
              'The answer from Google could not be used. Ask for a new link and try again.',
            );
      }
      if (link.returnTo) return sendBack(reply, link, 'connected');
      return page(reply, 200, 'Google account connected', 'You can close this page.', false);
    },
  );
};

const isLink = (v: ConnectLink | FastifyReply): v is ConnectLink => 'connectionId' in v;

function refusedLink(reply: FastifyReply): FastifyReply {
  return page(
    reply,
    410,
    'This link can no longer be used',
    'It was completed already, or the connection it was for has been deleted. Ask the service that sent it for a new one.',
  );
}

/** To the service's return_to, with what happened appended (its own query string kept). */
function sendBack(reply: FastifyReply, link: ConnectLink, status: Outcome): FastifyReply {
  const url = new URL(link.returnTo!);
  url.searchParams.append('connection_id', link.connectionId);
  url.searchParams.append('status', status);
  return reply.redirect(url.toString(), 303);
}

function page(reply: FastifyReply, status: number, title: string, message: string, error = true): FastifyReply {
  return sendPage(reply, connectResultPage({ title, message, error }), status);
}
