import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AuthorizationRedirectError, UntrustedRedirectError, redirectWith, resolveTarget, validateAuthorizationParams,
  type AuthorizationRequest, type Query, type TrustedTarget,
} from '../oauth/authorization-request.js';
import { issueAuthorizationCode } from '../oauth/issue-code.js';
import { consentsRepository } from '../repositories/consents.js';
import { csrfTokenFor, verifyCsrf } from '../sessions/csrf.js';
import { consentPage } from '../views/pages/consent.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';
import { useHtmlErrors } from './html-errors.js';

const params = z.record(z.string(), z.string().max(4096));

/**
 * GET/POST /oauth/authorize (RFC 6749 §4.1.1). The spec's order: the client and redirect_uri
 * first (an error page, never a redirect, RFC 6749 §4.1.2.1), then the session (sign-in), then the
 * other parameters (errors go back to the client with state and iss, RFC 9207).
 */
export async function authorizeRoutes(scope: FastifyInstance): Promise<void> {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  useHtmlErrors(app);
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get('/oauth/authorize', { schema: { querystring: params } }, async (request, reply) => {
    const query: Query = request.query;
    const target = await trustTarget(query, reply);
    if (!target) return reply;
    const prompt = new Set((query.prompt ?? '').split(' '));
    if (!request.user || !request.session || prompt.has('login')) {
      if (prompt.has('none')) return redirectError(reply, target, query.state, 'login_required', 'the person is not signed in', 302);
      // Come back here after signing in; prompt=login is dropped so the return does not loop.
      const back = new URL(request.url, app.config.public_url);
      back.searchParams.delete('prompt');
      return reply.redirect(`/login?${new URLSearchParams({ return_to: back.pathname + back.search })}`, 302);
    }
    const authz = validateOrRedirect(target, query, reply, 302);
    if (!authz) return reply;

    const granted = await consentsRepository.grantedScopes(app.db, request.user.id, authz.client.id);
    const needsConsent = !authz.client.first_party && (authz.prompt.has('consent') || authz.scopes.some((s) => !granted.has(s)));
    if (!needsConsent) return approve(request, reply, authz, 302);
    if (authz.prompt.has('none')) return redirectError(reply, authz, authz.state, 'consent_required', 'the person has not approved this application', 302);
    return showConsent(request, reply, authz);
  });

  app.post('/oauth/authorize', { schema: { body: params } }, async (request, reply) => {
    const body: Query = request.body;
    const target = await trustTarget(body, reply);
    if (!target) return reply;
    if (!request.user || !request.session) {
      return sendPage(reply, errorPage({ title: 'Your sign-in has ended', message: 'Please start again from the application.' }), 400);
    }
    // The consent form is only valid with the CSRF token of this browser's session.
    if (!verifyCsrf(request, body.csrf_token)) {
      return sendPage(reply, errorPage({ title: 'This form has expired', message: 'Please start again from the application.' }), 403);
    }
    const authz = validateOrRedirect(target, body, reply, 303);
    if (!authz) return reply;
    if (body.decision !== 'approve') {
      app.audit({ event: 'consent_denied', actor: request.user.id, client_id: authz.client.id, ip: request.ip });
      return redirectError(reply, authz, authz.state, 'access_denied', 'the person denied the request', 303);
    }
    await consentsRepository.grant(app.db, request.user.id, authz.client.id, authz.scopes);
    app.audit({ event: 'consent_granted', actor: request.user.id, client_id: authz.client.id, ip: request.ip, details: { scope: authz.scopes.join(' ') } });
    return approve(request, reply, authz, 303);
  });

  async function trustTarget(query: Query, reply: FastifyReply): Promise<TrustedTarget | null> {
    try {
      return await resolveTarget(app.clientStore, query);
    } catch (err) {
      if (!(err instanceof UntrustedRedirectError)) throw err;
      sendPage(reply, errorPage({ title: 'This sign-in link is not valid', message: err.message, retryUrl: '/account' }), 400);
      return null;
    }
  }

  function validateOrRedirect(target: TrustedTarget, query: Query, reply: FastifyReply, status: 302 | 303): AuthorizationRequest | null {
    try {
      return validateAuthorizationParams(target, query);
    } catch (err) {
      if (!(err instanceof AuthorizationRedirectError)) throw err;
      redirectError(reply, target, query.state, err.error, err.description, status);
      return null;
    }
  }

  function redirectError(reply: FastifyReply, target: TrustedTarget, state: string | undefined, error: string, description: string, status: 302 | 303) {
    return reply.redirect(redirectWith(target.redirectUri, { error, error_description: description, state }, app.config.public_url), status);
  }

  async function approve(request: FastifyRequest, reply: FastifyReply, authz: AuthorizationRequest, status: 302 | 303) {
    const code = await issueAuthorizationCode(app.db, app.config, authz, { id: request.user!.id, authTime: request.session!.createdAt });
    return reply.redirect(redirectWith(authz.redirectUri, { code, state: authz.state }, app.config.public_url), status);
  }

  function showConsent(request: FastifyRequest, reply: FastifyReply, authz: AuthorizationRequest) {
    const redirect = new URL(authz.redirectUri);
    const fields: Record<string, string> = {
      client_id: authz.client.id,
      response_type: 'code',
      scope: authz.scopes.join(' '),
      csrf_token: csrfTokenFor(request)!,
    };
    // Repeat only what the request carried, so redirect_uri binding stays as it was.
    if (authz.redirectUriSent) fields.redirect_uri = authz.redirectUri;
    if (authz.state !== undefined) fields.state = authz.state;
    if (authz.nonce !== undefined) fields.nonce = authz.nonce;
    if (authz.codeChallenge !== undefined) {
      fields.code_challenge = authz.codeChallenge;
      fields.code_challenge_method = 'S256';
    }
    // Browsers apply form-action to the redirect that follows the form POST, so the client's
    // origin must be allowed on this one page.
    const csp = String(reply.getHeader('content-security-policy') ?? '');
    reply.header('content-security-policy', csp.replace(/form-action [^;]*/, `form-action 'self' ${redirect.origin}`));
    return sendPage(reply, consentPage({
      appName: authz.client.app_name,
      redirectHost: redirect.host,
      username: request.user!.username,
      scopes: authz.scopes,
      fields,
    }));
  }
}
