import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { completeGoogleSignIn } from '../sign-in/google-sign-in.js';
import { DEFAULT_RETURN_TO, returnToSchema } from '../sign-in/return-to.js';
import { googleAuthorizationUrl, googleCallbackQuery } from '../sign-in/google-authorization.js';
import { clearStateCookie, readStateCookie } from '../sign-in/state-cookie.js';
import { constantTimeEqual } from '../crypto/hash.js';
import { GoogleError } from '../google/errors.js';
import { verifyCsrf, csrfTokenFor } from '../sign-in/csrf.js';
import { errorPage } from '../views/pages/error.js';
import { loginPage } from '../views/pages/login.js';
import { sendPage } from '../views/reply.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';

const param = z.string().max(4096);

/**
 * Browser sign-in through Google: /login, /auth/google/start, /auth/google/callback and
 * POST /logout. Authorization code flow with PKCE, state and nonce (RFC 6749 §4.1, RFC 7636,
 * OIDC Core §3.1, RFC 9700 §2.1).
 */
export const loginRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);
  const config = app.config;
  const secure = new URL(config.public_url).protocol === 'https:';
  const redirectUri = `${config.public_url}/auth/google/callback`;

  app.get(
    '/login',
    {
      schema: {
        hide: true,
        querystring: z.object({ return_to: returnToSchema.optional(), signed_out: z.literal('1').optional() }),
      },
    },
    async (request, reply) => {
      const returnTo = request.query.return_to ?? DEFAULT_RETURN_TO;
      return sendPage(
        reply,
        loginPage({
          startUrl: `/auth/google/start?${new URLSearchParams({ return_to: returnTo })}`,
          devMode: config.dev_mode,
          signedInAs: request.user ? (request.user.email ?? request.user.username) : null,
          csrfToken: csrfTokenFor(request),
          signedOut: request.query.signed_out === '1',
        }),
      );
    },
  );

  app.get(
    '/auth/google/start',
    {
      schema: {
        hide: true,
        querystring: z.object({ return_to: returnToSchema.optional(), prompt: z.literal('consent').optional() }),
      },
    },
    async (request, reply) => {
      const returnTo = request.query.return_to ?? DEFAULT_RETURN_TO;
      // Google returns a refresh token only when consent is shown: ask for it when we hold none
      // for the signed-in person, or when the callback found none after this person's sign-in.
      let promptConsent = request.query.prompt === 'consent';
      if (!promptConsent && request.user) {
        const held = await app.repos.googleCredentials.findByOwner({ userId: request.user.id });
        promptConsent = !held?.hasRefreshToken;
      }
      const url = googleAuthorizationUrl(
        reply,
        { google: app.google, secure },
        { returnTo, redirectUri, promptConsent, ...(request.user?.email ? { loginHint: request.user.email } : {}) },
      );
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/auth/google/callback',
    {
      schema: {
        hide: true,
        querystring: googleCallbackQuery,
      },
    },
    async (request, reply) => {
      const q = request.query;
      // Product rule: every browser sign-in failure is an audit event; `reason` says which check.
      const refuse = (reason: string, status: number, title: string, message: string) => {
        app.audit({ event: 'browser_sign_in_failed', ip: request.ip, details: { reason } });
        return failure(reply, status, title, message);
      };
      const saved = readStateCookie(request, secure);
      // Single use: whatever happens next, this attempt is over.
      clearStateCookie(reply, secure);
      // A connection attempt (connect link) completes at its own callback, never as a sign-in.
      if (!saved || saved.connectLinkId) {
        return refuse(
          'state_cookie_missing',
          400,
          'Sign-in expired',
          'This sign-in attempt expired or was started in another browser. Please start again.',
        );
      }
      // RFC 6749 §10.12: the state must match the value bound to this browser.
      if (!q.state || !constantTimeEqual(q.state, saved.state)) {
        request.log.warn('google callback with a state that does not match the browser');
        return refuse(
          'state_mismatch',
          400,
          'Sign-in could not be verified',
          'The answer from Google did not belong to this sign-in attempt. Please start again.',
        );
      }
      if (q.error) {
        // RFC 6749 §4.1.2.1; access_denied is the person pressing "Cancel" at Google.
        const denied = q.error === 'access_denied';
        return refuse(
          denied ? 'access_denied' : 'google_error',
          400,
          denied ? 'Sign-in cancelled' : 'Google could not sign you in',
          denied
            ? 'You did not allow Gatehouse to use your Google account, so you are not signed in.'
            : 'Google ended the sign-in with an error. Please try again.',
        );
      }
      if (!q.code)
        return refuse(
          'no_code',
          400,
          'Sign-in could not be completed',
          'Google did not send a sign-in code. Please start again.',
        );

      let result;
      try {
        result = await completeGoogleSignIn(app, {
          code: q.code,
          verifier: saved.verifier,
          nonce: saved.nonce,
          redirectUri,
          previousSessionHash: request.session?.idHash,
        });
      } catch (err) {
        if (!(err instanceof GoogleError)) throw err;
        app.audit({ event: 'browser_sign_in_failed', ip: request.ip, details: { reason: `google_${err.kind}` } });
        return googleFailure(reply, err, (level, msg) =>
          request.log[level](
            { kind: err.kind, endpoint: err.endpoint, status: err.status, googleError: err.googleError },
            msg,
          ),
        );
      }
      app.sessions.setCookie(reply, result.sessionId);
      app.audit({
        event: 'browser_sign_in',
        actor: result.user.id,
        subject: result.user.id,
        ip: request.ip,
        details: { offline: result.credential.hasRefreshToken },
      });
      request.log.info({ userId: result.user.id, offline: result.credential.hasRefreshToken }, 'signed in with google');
      if (!result.credential.hasRefreshToken && !saved.promptedConsent) {
        // No refresh token now or before: go once more through Google, asking for consent,
        // which is when Google issues one. promptedConsent in the new cookie stops a loop.
        return reply.redirect(
          `/auth/google/start?${new URLSearchParams({ return_to: saved.returnTo, prompt: 'consent' })}`,
          302,
        );
      }
      return reply.redirect(saved.returnTo, 302);
    },
  );

  app.post(
    '/logout',
    { schema: { hide: true, body: z.object({ csrf_token: param.optional() }).optional() } },
    async (request, reply) => {
      if (request.session && !verifyCsrf(request, request.body?.csrf_token)) {
        return failure(
          reply,
          403,
          'Sign-out not confirmed',
          'The sign-out form expired. Please sign out again from your account page.',
          '/account',
        );
      }
      const userId = request.user?.id;
      await app.sessions.end(request, reply);
      if (userId) app.audit({ event: 'browser_sign_out', actor: userId, subject: userId, ip: request.ip });
      return reply.redirect('/login?signed_out=1', 303);
    },
  );
};

function failure(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  retryUrl = '/login',
): FastifyReply {
  return sendPage(reply, errorPage({ title, message, retryUrl }), status);
}

function googleFailure(
  reply: FastifyReply,
  err: GoogleError,
  log: (level: 'warn' | 'error', msg: string) => void,
): FastifyReply {
  switch (err.kind) {
    case 'invalid_grant':
      log('warn', 'google refused the sign-in code');
      return failure(
        reply,
        400,
        'Sign-in expired',
        'The sign-in code from Google expired or was already used. Please start again.',
      );
    case 'invalid_response':
      log('warn', 'google answer failed verification');
      return failure(
        reply,
        400,
        'Sign-in could not be verified',
        'The answer from Google could not be verified. Please start again.',
      );
    case 'rate_limited':
    case 'unavailable':
      log('warn', 'google unavailable during sign-in');
      return failure(
        reply,
        502,
        'Google is not answering',
        'Google did not answer in time. Please try again in a moment.',
      );
    case 'rejected':
      // Our request was refused: misconfigured client id/secret or redirect URI. An operator
      // must look; the person can only retry later.
      log('error', 'google rejected the code exchange; check GOOGLE_CLIENT_ID/SECRET and the redirect URI');
      return failure(
        reply,
        502,
        'Sign-in is not available',
        'Gatehouse could not complete the sign-in with Google. Please try again later.',
      );
  }
}
