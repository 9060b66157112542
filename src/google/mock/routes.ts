import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authorizeErrorPage, authorizePage, CARRIED_PARAMS } from './page.js';
import { MOCK_PATHS, type MockEndpoint } from './endpoints.js';
import type { MockGoogleState } from './state.js';

/**
 * Google's endpoints with Google's request and response shapes, as far as Gatehouse uses them.
 * Inputs are checked with zod inside the handlers so that every refusal is Google's error shape
 * (`{"error": …, "error_description": …}`), not Gatehouse's.
 */
export const mockGoogleRoutes: FastifyPluginAsync<{ mock: MockGoogleState }> = async (app, { mock }) => {
  app.setErrorHandler((err: Error & { statusCode?: number; status?: number }, _request, reply) => {
    // Fastify errors carry statusCode, ours (ApiError, e.g. a repeated parameter) carry status.
    const code = err.statusCode ?? err.status;
    const status = code && code >= 400 && code < 500 ? code : 500;
    return reply
      .code(status)
      .send({ error: status === 500 ? 'internal_failure' : 'invalid_request', error_description: 'Bad Request' });
  });

  // The picture claim of mock users: an initial on a colour derived from the id, as an SVG.
  app.get('/avatar/:file', async (request, reply) => {
    const id = /^([0-9a-f]{1,16})\.svg$/.exec((request.params as { file: string }).file)?.[1];
    if (!id) return reply.code(404).send({ error: 'not_found', error_description: 'Not Found' });
    const hue = parseInt(id.slice(0, 4), 16) % 360;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" fill="hsl(${hue} 55% 45%)"/><circle cx="48" cy="38" r="18" fill="#fff" fill-opacity=".9"/><rect x="18" y="62" width="60" height="34" rx="30" fill="#fff" fill-opacity=".9"/></svg>`;
    return reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(svg);
  });

  app.get(MOCK_PATHS.authorize, async (request, reply) => {
    if (await failed('authorize', reply)) return reply;
    const params = authorizeParams.safeParse(request.query);
    if (!params.success) return errorPage(reply, 'invalid_request', 'The request is malformed.');
    const p = params.data;
    mock.recordAuthorizeRequest(Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)));
    const refusal = checkAuthorize(p);
    if (refusal) return refusal(reply);
    return reply.type('text/html; charset=utf-8').send(authorizePage(new URL(request.url, 'http://x').pathname, p));
  });

  app.post(MOCK_PATHS.authorize, async (request, reply) => {
    const parsed = authorizeParams
      .extend({ email: z.string().optional(), decision: z.enum(['allow', 'deny']) })
      .safeParse(request.body);
    if (!parsed.success) return errorPage(reply, 'invalid_request', 'The request is malformed.');
    const p = parsed.data;
    const refusal = checkAuthorize(p);
    if (refusal) return refusal(reply);
    const target = new URL(p.redirect_uri!);
    if (p.decision === 'deny') {
      target.searchParams.set('error', 'access_denied');
    } else {
      const email = z.email().safeParse(p.email?.trim());
      if (!email.success) return errorPage(reply, 'invalid_request', 'Type an email address.');
      const code = mock.issueCode({
        email: email.data,
        clientId: p.client_id!,
        redirectUri: p.redirect_uri!,
        scope: p.scope ?? 'openid',
        ...(p.code_challenge ? { codeChallenge: p.code_challenge } : {}),
        ...(p.nonce !== undefined ? { nonce: p.nonce } : {}),
        ...(p.prompt !== undefined ? { prompt: p.prompt } : {}),
      });
      target.searchParams.set('code', code);
      target.searchParams.set('scope', p.scope ?? 'openid');
    }
    if (p.state !== undefined) target.searchParams.set('state', p.state);
    return reply.redirect(target.toString(), 302);
  });

  app.post(MOCK_PATHS.token, async (request, reply) => {
    if (await failed('token', reply)) return reply;
    const body = tokenParams.safeParse(request.body ?? {});
    if (!body.success) return googleError(reply, 400, 'invalid_request', 'Bad Request');
    const b = body.data;
    const creds = clientCredentials(request, b);
    if (!creds || !mock.checkClient(creds.id, creds.secret))
      return googleError(reply, 401, 'invalid_client', 'Unauthorized');
    let result: Record<string, unknown> | undefined;
    if (b.grant_type === 'authorization_code') {
      if (!b.code) return googleError(reply, 400, 'invalid_request', 'Missing required parameter: code');
      result = await mock.redeemCode({
        code: b.code,
        clientId: creds.id,
        redirectUri: b.redirect_uri,
        verifier: b.code_verifier,
      });
    } else if (b.grant_type === 'refresh_token') {
      if (!b.refresh_token)
        return googleError(reply, 400, 'invalid_request', 'Missing required parameter: refresh_token');
      result = await mock.refresh({ refreshToken: b.refresh_token, clientId: creds.id });
    } else {
      return googleError(reply, 400, 'unsupported_grant_type', `Invalid grant_type: ${b.grant_type}`);
    }
    if (!result) return googleError(reply, 400, 'invalid_grant', 'Bad Request');
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(result);
  });

  const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
    if (await failed('userinfo', reply)) return reply;
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const found = token ? mock.lookupAccessToken(token) : undefined;
    if (!found) {
      reply.header('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
      return googleError(reply, 401, 'invalid_request', 'Invalid Credentials');
    }
    const u = found.user;
    const scopes = found.grant.scope.split(' ');
    return reply.send({
      sub: u.sub,
      ...(scopes.includes('profile')
        ? { name: u.name, given_name: u.given_name, family_name: u.family_name, picture: u.picture }
        : {}),
      ...(scopes.includes('email') ? { email: u.email, email_verified: u.email_verified } : {}),
    });
  };
  app.get(MOCK_PATHS.userinfo, userinfo);
  app.post(MOCK_PATHS.userinfo, userinfo);

  const tokeninfo = async (request: FastifyRequest, reply: FastifyReply) => {
    if (await failed('tokeninfo', reply)) return reply;
    const parsed = tokeninfoParams.safeParse({ ...(request.query as object), ...(request.body as object | undefined) });
    if (!parsed.success || (!parsed.data.access_token && !parsed.data.id_token)) {
      return googleError(reply, 400, 'invalid_request', 'Either access_token, id_token, or token_handle required');
    }
    if (parsed.data.id_token) {
      const claims = await mock.verifyOwnIdToken(parsed.data.id_token);
      if (!claims) return googleError(reply, 400, 'invalid_token', 'Invalid Value');
      // Google answers with every value as a string.
      return reply.send(Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)])));
    }
    const found = mock.lookupAccessToken(parsed.data.access_token!);
    if (!found) return googleError(reply, 400, 'invalid_token', 'Invalid Value');
    const scopes = found.grant.scope.split(' ');
    return reply.send({
      azp: found.azp ?? found.grant.clientId,
      aud: found.aud ?? found.grant.clientId,
      sub: found.user.sub,
      scope: found.grant.scope,
      exp: String(Math.floor(found.expiresAt / 1000)),
      expires_in: String(Math.max(0, Math.floor((found.expiresAt - Date.now()) / 1000))),
      ...(scopes.includes('email')
        ? { email: found.user.email, email_verified: String(found.user.email_verified) }
        : {}),
      access_type: 'offline',
    });
  };
  app.get(MOCK_PATHS.tokeninfo, tokeninfo);
  app.post(MOCK_PATHS.tokeninfo, tokeninfo);

  app.get(MOCK_PATHS.jwks, async (_request, reply) => {
    if (await failed('jwks', reply)) return reply;
    return reply.header('cache-control', 'public, max-age=300').send({ keys: [mock.publicJwk] });
  });

  app.post(MOCK_PATHS.revoke, async (request, reply) => {
    if (await failed('revoke', reply)) return reply;
    const parsed = revokeParams.safeParse({ ...(request.query as object), ...(request.body as object | undefined) });
    if (!parsed.success) return googleError(reply, 400, 'invalid_request', 'Missing required parameter: token');
    if (!mock.revokeToken(parsed.data.token))
      return googleError(reply, 400, 'invalid_token', 'Token expired or revoked');
    return reply.send({});
  });

  /** Answers with the injected failure, if one is due; true when the reply is done. */
  async function failed(endpoint: MockEndpoint, reply: FastifyReply): Promise<boolean> {
    const due = await mock.beforeCall(endpoint);
    if (!due) return false;
    switch (due.failure) {
      case 'server_error':
        googleError(reply, 500, 'internal_failure', 'Backend Error');
        break;
      case 'rate_limited':
        reply.header('retry-after', String(due.retryAfter));
        googleError(reply, 429, 'rate_limit_exceeded', 'Rate Limit Exceeded');
        break;
      case 'invalid_grant':
        googleError(reply, 400, 'invalid_grant', 'Bad Request');
        break;
      case 'connection_reset':
        reply.hijack();
        reply.raw.socket?.destroy();
        break;
    }
    return true;
  }

  function checkAuthorize(p: AuthorizeParams): ((reply: FastifyReply) => FastifyReply) | undefined {
    // Like Google: a bad client or redirect_uri is shown to the person, never redirected to.
    if (p.client_id !== mock.clientId) {
      return (reply) => errorPage(reply, 'invalid_client', 'The OAuth client was not found.', 401);
    }
    if (!p.redirect_uri || !mock.redirectUriAllowed(p.redirect_uri)) {
      return (reply) =>
        errorPage(reply, 'redirect_uri_mismatch', 'The redirect URI does not match one registered for the client.');
    }
    if (p.response_type !== 'code') {
      return (reply) => errorPage(reply, 'unsupported_response_type', 'Only response_type=code is supported.');
    }
    if (p.code_challenge_method !== undefined && p.code_challenge_method !== 'S256') {
      return (reply) => errorPage(reply, 'invalid_request', 'Only code_challenge_method=S256 is supported.');
    }
    return undefined;
  }
};

const param = z.string().max(2048).optional();
const authorizeParams = z.object(
  Object.fromEntries(CARRIED_PARAMS.map((k) => [k, param])) as Record<(typeof CARRIED_PARAMS)[number], typeof param>,
);
type AuthorizeParams = z.infer<typeof authorizeParams>;

const tokenParams = z.object({
  grant_type: z.string(),
  code: param,
  code_verifier: param,
  redirect_uri: param,
  refresh_token: param,
  client_id: param,
  client_secret: param,
});
const tokeninfoParams = z.object({ access_token: param, id_token: z.string().max(8192).optional() });
const revokeParams = z.object({ token: z.string().min(1).max(2048) });

/** client_secret_basic (RFC 6749 §2.3.1, form-urlencoded parts) or client_secret_post. */
function clientCredentials(
  request: FastifyRequest,
  body: z.infer<typeof tokenParams>,
): { id: string; secret: string } | undefined {
  const basic = /^Basic (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return undefined;
    try {
      return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
    } catch {
      return undefined;
    }
  }
  if (body.client_id && body.client_secret) return { id: body.client_id, secret: body.client_secret };
  return undefined;
}

function googleError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

function errorPage(reply: FastifyReply, error: string, description: string, status = 400): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(authorizeErrorPage(error, description));
}
