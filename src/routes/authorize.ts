import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { beginGoogleSignIn } from '../sign-in/begin-google-sign-in.js';
import { isLoopbackHost } from '../config/schema.js';
import {
  AuthorizationRedirectError,
  UntrustedRedirectError,
  redirectWith,
  resolveTarget,
  validateAuthorizationParams,
  type AuthorizationRequest,
  type Query,
  type TrustedTarget,
} from '../oauth/authorization-request.js';
import { interactionToRequest, needsAuthentication } from '../oauth/authentication-age.js';
import { issueAuthorizationCode } from '../oauth/issue-code.js';
import { csrfTokenFor, verifyCsrf } from '../sign-in/csrf.js';
import { consentPage } from '../views/pages/consent.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';
import { FORM, html, redirect, security } from '../openapi/components.js';
import { htmlErrorHandler } from '../http/html-errors.js';
import { noStore } from '../http/no-store.js';

const params = z.record(z.string(), z.string().max(4096));
const RESUME_PATH = '/oauth/authorize/resume';

/**
 * GET/POST /oauth/authorize (RFC 6749 §4.1.1; OIDC Core §3.1.2.1: both methods), the resumption
 * after a sign-in, and the consent decision. The client and redirect_uri are checked first (an
 * error page, never a redirect, RFC 6749 §4.1.2.1); every other error goes back to the client
 * with state and iss (RFC 9207). A request waiting for the person (sign-in or consent) is kept
 * server-side as an interaction: the browser carries only its id.
 */
export const authorizeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.setErrorHandler(htmlErrorHandler());
  app.addHook('onRequest', noStore);

  const authorizeDocs = {
    tags: ['oauth'],
    summary: 'Authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): a code for the client, by redirect',
    description:
      'Parameters: response_type=code, client_id, redirect_uri, scope, state, code_challenge, ' +
      'code_challenge_method=S256, nonce, prompt, max_age, login_hint, id_token_hint. A bad client or ' +
      'redirect_uri is an error page; every other error goes back to the client (RFC 6749 §4.1.2.1).',
    security: security.none,
  };
  const authorizeResponses = (status: 302 | 303) => ({
    [status]: redirect('To the client (code or error, with state and iss), to sign-in, or to consent'),
    200: html('The consent page'),
    400: html('The client or redirect_uri is not valid: an error page, never a redirect'),
  });

  app.get(
    '/oauth/authorize',
    {
      schema: { ...authorizeDocs, querystring: params },
      config: { openapi: { response: authorizeResponses(302) } },
    },
    async (request, reply) => authorizationRequest(request, reply, request.query, 302),
  );

  // OIDC Core §3.1.2.1: "Authorization Servers MUST support the use of the HTTP GET and POST methods".
  app.post(
    '/oauth/authorize',
    {
      schema: { ...authorizeDocs, body: params, consumes: FORM },
      config: { openapi: { response: authorizeResponses(303) } },
    },
    async (request, reply) => authorizationRequest(request, reply, request.body, 303),
  );

  app.get(
    RESUME_PATH,
    { schema: { hide: true, querystring: z.object({ interaction: z.string().min(1).max(128) }) } },
    async (request, reply) => {
      const id = request.query.interaction;
      const interaction = await app.repos.authorizationInteractions.find(id);
      const client = interaction ? await app.clientStore.findById(interaction.clientId) : null;
      // Only sign-in interactions resume here; a consent interaction ends at the decision.
      if (!interaction || interaction.userId !== null || !client || client.disabled) return expired(reply);
      const authz = interactionToRequest(client, interaction);
      // Signed in at Google since the interaction began: its authentication requirements are met.
      // Otherwise the session may still do (a POST from another site arrives without the SameSite
      // session cookie, which this GET carries).
      const session = request.session;
      const fresh = session !== null && interaction.loginAfter !== null && session.authTime >= interaction.loginAfter;
      if (!fresh && needsAuthentication(session, authz, undefined)) return sendToSignIn(request, reply, authz, id);
      await app.repos.authorizationInteractions.delete(id);
      return decide(request, reply, authz, 302);
    },
  );

  app.post(
    '/oauth/authorize/decision',
    {
      schema: {
        hide: true,
        body: z.object({
          interaction: z.string().max(128).optional(),
          csrf_token: z.string().max(256).optional(),
          decision: z.string().max(32).optional(),
        }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!request.user || !request.session) {
        return sendPage(
          reply,
          errorPage({ title: 'Your sign-in has ended', message: 'Please start again from the application.' }),
          400,
        );
      }
      // The decision is only valid with the CSRF token of this browser's session.
      if (!verifyCsrf(request, body.csrf_token)) {
        return sendPage(
          reply,
          errorPage({ title: 'This form has expired', message: 'Please start again from the application.' }),
          403,
        );
      }
      // Single use, and only by the person it was shown to.
      const interaction = body.interaction
        ? await app.repos.authorizationInteractions.consume(body.interaction, request.user.id)
        : null;
      const client = interaction ? await app.clientStore.findById(interaction.clientId) : null;
      if (!interaction || !client || client.disabled) return expired(reply);
      const authz = interactionToRequest(client, interaction);
      if (body.decision !== 'approve') {
        app.audit({ event: 'consent_denied', actor: request.user.id, client_id: client.id, ip: request.ip });
        return redirectError(reply, authz, authz.state, 'access_denied', 'the person denied the request', 303);
      }
      // Exactly what the page showed: the stored scope, never anything the form carried.
      await app.repos.consents.grant(request.user.id, client.id, authz.scopes);
      app.audit({
        event: 'consent_granted',
        actor: request.user.id,
        client_id: client.id,
        ip: request.ip,
        details: { scope: authz.scopes.join(' ') },
      });
      return approve(request, reply, authz, 303);
    },
  );

  async function authorizationRequest(request: FastifyRequest, reply: FastifyReply, query: Query, status: 302 | 303) {
    const target = await trustTarget(query, reply);
    if (!target) return reply;
    const authz = validateOrRedirect(target, query, reply, status);
    if (!authz) return reply;
    const hint = authz.idTokenHint === undefined ? undefined : await app.tokens.verifyIdTokenHint(authz.idTokenHint);
    if (hint === null)
      return redirectError(
        reply,
        authz,
        authz.state,
        'invalid_request',
        'id_token_hint is not an ID token issued here',
        status,
      );
    const reason = needsAuthentication(request.session, authz, hint?.sub);
    if (reason) {
      // OIDC Core §3.1.2.1 prompt=none: "The Authorization Server MUST NOT display any
      // authentication or consent user interface pages."
      if (authz.prompt.has('none')) return redirectError(reply, authz, authz.state, 'login_required', reason, status);
      const id = await app.repos.authorizationInteractions.create(toNewInteraction(authz, null, true));
      await app.repos.authorizationInteractions.deleteExpired();
      // A cross-site POST carries no SameSite=Lax session cookie: look again on a GET first.
      if (!request.session && request.method === 'POST') return reply.redirect(resumePath(id), 303);
      return sendToSignIn(request, reply, authz, id);
    }
    return decide(request, reply, authz, status);
  }

  /** Signed in well enough: consent (remembered, first-party, or asked for), then a code. */
  async function decide(request: FastifyRequest, reply: FastifyReply, authz: AuthorizationRequest, status: 302 | 303) {
    const granted = await app.repos.consents.grantedScopes(request.user!.id, authz.client.id);
    // RFC 8252 §8.6: a loopback redirect proves nothing about which program listens there, so a
    // public client using one is always asked again.
    const loopbackPublic =
      authz.client.token_endpoint_auth_method === 'none' && isLoopbackHost(new URL(authz.redirectUri).hostname);
    const needsConsent =
      loopbackPublic ||
      (!authz.client.first_party && (authz.prompt.has('consent') || authz.scopes.some((s) => !granted.has(s))));
    if (!needsConsent) return approve(request, reply, authz, status);
    if (authz.prompt.has('none'))
      return redirectError(
        reply,
        authz,
        authz.state,
        'consent_required',
        'the person has not approved this application',
        status,
      );
    const id = await app.repos.authorizationInteractions.create(toNewInteraction(authz, request.user!.id, false));
    await app.repos.authorizationInteractions.deleteExpired();
    return showConsent(request, reply, authz, id);
  }

  async function sendToSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    authz: AuthorizationRequest,
    interactionId: string,
  ) {
    const returnTo = resumePath(interactionId);
    if (
      !request.session &&
      authz.loginHint === undefined &&
      !authz.prompt.has('login') &&
      !authz.prompt.has('select_account')
    ) {
      return reply.redirect(`/login?${new URLSearchParams({ return_to: returnTo })}`, 302);
    }
    // A fresh round trip through Google (OIDC Core §3.1.2.1 prompt=login, max_age), letting the
    // person pick the account, with the hint the client gave or the signed-in person's address.
    return beginGoogleSignIn(request, reply, {
      returnTo,
      selectAccount: request.session !== null || authz.prompt.has('login') || authz.prompt.has('select_account'),
      loginHint: authz.loginHint ?? request.user?.email ?? undefined,
    });
  }

  async function trustTarget(query: Query, reply: FastifyReply): Promise<TrustedTarget | null> {
    try {
      return await resolveTarget(app.clientStore, query);
    } catch (err) {
      if (!(err instanceof UntrustedRedirectError)) throw err;
      sendPage(
        reply,
        // Nothing the person can retry: the link itself is wrong, so the page offers no button.
        errorPage({ title: 'This sign-in link is not valid', message: err.message, retryUrl: null }),
        400,
      );
      return null;
    }
  }

  function validateOrRedirect(
    target: TrustedTarget,
    query: Query,
    reply: FastifyReply,
    status: 302 | 303,
  ): AuthorizationRequest | null {
    try {
      return validateAuthorizationParams(target, query);
    } catch (err) {
      if (!(err instanceof AuthorizationRedirectError)) throw err;
      redirectError(reply, target, query.state, err.error, err.description, status);
      return null;
    }
  }

  function redirectError(
    reply: FastifyReply,
    target: TrustedTarget,
    state: string | undefined,
    error: string,
    description: string,
    status: 302 | 303,
  ) {
    return reply.redirect(
      redirectWith(target.redirectUri, { error, error_description: description, state }, app.config.public_url),
      status,
    );
  }

  function expired(reply: FastifyReply) {
    return sendPage(
      reply,
      errorPage({ title: 'This sign-in has expired', message: 'Please start again from the application.' }),
      400,
    );
  }

  async function approve(request: FastifyRequest, reply: FastifyReply, authz: AuthorizationRequest, status: 302 | 303) {
    const code = await issueAuthorizationCode(
      { authorizationCodes: app.repos.authorizationCodes, config: app.config },
      authz,
      {
        id: request.user!.id,
        authTime: request.session!.authTime,
      },
    );
    return reply.redirect(redirectWith(authz.redirectUri, { code, state: authz.state }, app.config.public_url), status);
  }

  function showConsent(
    request: FastifyRequest,
    reply: FastifyReply,
    authz: AuthorizationRequest,
    interactionId: string,
  ) {
    const redirect = new URL(authz.redirectUri);
    // Browsers apply form-action to the redirect that follows the form POST, so the client's
    // origin must be allowed on this one page.
    const csp = String(reply.getHeader('content-security-policy') ?? '');
    reply.header('content-security-policy', csp.replace(/form-action [^;]*/, `form-action 'self' ${redirect.origin}`));
    return sendPage(
      reply,
      consentPage({
        appName: authz.client.app_name,
        redirectHost: redirect.host,
        username: request.user!.username,
        scopes: authz.scopes,
        fields: { interaction: interactionId, csrf_token: csrfTokenFor(request)! },
      }),
    );
  }
};

function resumePath(interactionId: string): string {
  return `${RESUME_PATH}?${new URLSearchParams({ interaction: interactionId })}`;
}

function toNewInteraction(authz: AuthorizationRequest, userId: string | null, requireLogin: boolean) {
  return {
    clientId: authz.client.id,
    redirectUri: authz.redirectUri,
    redirectUriSent: authz.redirectUriSent,
    scope: authz.scopes.join(' '),
    state: authz.state ?? null,
    nonce: authz.nonce ?? null,
    codeChallenge: authz.codeChallenge ?? null,
    prompt: [...authz.prompt].join(' '),
    maxAge: authz.maxAge ?? null,
    userId,
    requireLogin,
  };
}
