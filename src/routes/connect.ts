import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clearStateCookie, readStateCookie, setStateCookie } from '../auth/state-cookie.js';
import { constantTimeEqual } from '../crypto/hash.js';
import { deriveSecrets } from '../crypto/derive.js';
import { randomToken } from '../crypto/random.js';
import { GoogleError } from '../google/errors.js';
import { createPkcePair } from '../google/pkce.js';
import { verifyConnectLink } from '../vault/connect-link.js';
import { completeGoogleConnection } from '../vault/connect-google.js';
import { connectResultPage } from '../views/pages/connect.js';
import { sendPage } from '../views/reply.js';
import { useHtmlErrors } from './html-errors.js';

const param = z.string().max(4096);
/** Under the state cookie's path (/auth/google), so the cookie comes back here. */
export const CONNECT_CALLBACK_PATH = '/auth/google/connect/callback';

/**
 * The person's side of a connection: GET /connect?token=… spends the signed link and sends
 * them to Google's consent (offline access, prompt=consent, GOOGLE_SCOPES); the callback
 * stores the grant under the connection id. No Gatehouse session is needed or created. The
 * same state cookie as sign-in (state, nonce, PKCE) binds the callback to this browser.
 */
export async function connectRoutes(root: FastifyInstance): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  useHtmlErrors(app);
  const secure = new URL(app.config.public_url).protocol === 'https:';
  const redirectUri = `${app.config.public_url}${CONNECT_CALLBACK_PATH}`;
  const linkKeys = deriveSecrets(app.config, 'connect-link');

  app.get('/connect', { schema: { querystring: z.object({ token: z.string().max(256).optional() }) } }, async (request, reply) => {
    const check = verifyConnectLink(linkKeys, request.query.token ?? '');
    if (!check.ok) {
      return check.reason === 'expired'
        ? page(reply, 410, 'This link has expired', 'Connect links work for 15 minutes. Ask the service that sent it for a new one.')
        : page(reply, 400, 'This link is not valid', 'The link is incomplete or was changed. Open the link exactly as you received it, or ask for a new one.');
    }
    // Single use: spent now, whatever happens at Google (a cancelled consent needs a new link).
    const spent = await app.connections.consumeLink(check.linkId);
    if (!spent.ok) {
      return spent.reason === 'used'
        ? page(reply, 410, 'This link was already used', 'Each connect link works once. Ask the service that sent it for a new one.')
        : page(reply, 410, 'This link is no longer valid', 'Ask the service that sent it for a new one.');
    }
    const state = randomToken(32);
    const nonce = randomToken(32);
    const pkce = createPkcePair();
    setStateCookie(reply, { state, nonce, verifier: pkce.verifier, returnTo: '/', promptedConsent: true, connectLinkId: spent.link.id }, secure);
    // Consent every time: only a consent screen makes Google issue a refresh token.
    const url = app.google.buildAuthorizationUrl({ state, nonce, codeChallenge: pkce.challenge, redirectUri, promptConsent: true });
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  app.get(CONNECT_CALLBACK_PATH, {
    schema: { querystring: z.object({ code: param.optional(), state: param.optional(), error: param.optional(), error_description: param.optional() }) },
  }, async (request, reply) => {
    const q = request.query;
    const saved = readStateCookie(request, secure);
    clearStateCookie(reply, secure);
    const link = saved?.connectLinkId ? await app.connections.findLink(saved.connectLinkId) : null;
    if (!saved || !link?.usedAt) {
      return page(reply, 400, 'Connection expired', 'This attempt expired or was started in another browser. Open a new connect link.');
    }
    // RFC 6749 §10.12: the state must match the value bound to this browser.
    if (!q.state || !constantTimeEqual(q.state, saved.state)) {
      return page(reply, 400, 'Connection could not be verified', 'The answer from Google did not belong to this attempt. Open a new connect link.');
    }
    if (q.error) {
      const denied = q.error === 'access_denied';
      return page(reply, 400, denied ? 'Connection cancelled' : 'Google could not connect your account',
        denied ? 'You did not allow access, so nothing was connected.' : 'Google ended the attempt with an error. Ask for a new link and try again.');
    }
    if (!q.code) return page(reply, 400, 'Connection could not be completed', 'Google did not send a code. Open a new connect link.');

    try {
      await completeGoogleConnection(app, { code: q.code, verifier: saved.verifier, nonce: saved.nonce, redirectUri, link });
    } catch (err) {
      if (!(err instanceof GoogleError)) throw err;
      const upstream = err.kind === 'unavailable' || err.kind === 'rate_limited' || err.kind === 'rejected';
      request.log[err.kind === 'rejected' ? 'error' : 'warn']({ kind: err.kind, endpoint: err.endpoint, status: err.status, googleError: err.googleError }, 'google connection failed');
      return upstream
        ? page(reply, 502, 'Google is not answering', 'Google did not complete the connection. Ask for a new link and try again in a moment.')
        : page(reply, 400, 'Connection could not be completed', 'The answer from Google could not be used. Ask for a new link and try again.');
    }
    if (link.returnTo) return reply.redirect(link.returnTo, 303);
    return page(reply, 200, 'Google account connected', 'You can close this page.', false);
  });
}

function page(reply: FastifyReply, status: number, title: string, message: string, error = true): FastifyReply {
  return sendPage(reply, connectResultPage({ title, message, error }), status);
}
