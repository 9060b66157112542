import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Client } from '../clients/client.js';
import { sha256Hex } from '../crypto/hash.js';
import { randomId } from '../crypto/random.js';
import { GoogleError } from '../google/errors.js';
import { ApiError, invalidRequest, invalidToken, upstreamUnavailable } from '../oauth/errors.js';
import type { TokenResponse } from '../oauth/grants/grant.js';
import { rotateRefreshToken, type RefreshTokenDeps } from '../oauth/grants/refresh-token.js';
import { issueUserTokens } from '../oauth/issue-user-tokens.js';
import { parseScope } from '../oauth/scopes.js';
import type { RevokedFamily } from '../repositories/token-families.js';
import { recordAuditEvent } from '../users/audit-events.js';
import { LoginRefusedError, verifyGoogleLogin, type GoogleLoginCredential } from '../users/google-login.js';
import { noStore } from '../http/no-store.js';
import { errors, ok, security } from '../openapi/components.js';

const MAX_GOOGLE_TOKEN = 4096;
const MAX_ID_TOKEN = 8192;
const MAX_REFRESH_TOKEN = 256;

const loginBody = z
  .object({
    access_token: z.string().min(1).max(MAX_GOOGLE_TOKEN).optional(),
    id_token: z.string().min(1).max(MAX_ID_TOKEN).optional(),
  })
  .refine(
    (b) => (b.access_token === undefined) !== (b.id_token === undefined),
    'send exactly one of access_token or id_token',
  );

const refreshBody = z.object({ refresh_token: z.string().min(1).max(MAX_REFRESH_TOKEN) });
// A Bearer-only logout has no body at all.
const logoutBody = z.object({ refresh_token: z.string().min(1).max(MAX_REFRESH_TOKEN).optional() }).nullish();

const tags = ['sign-in'];
const apiTokensSchema = z.object({
  success: z.literal(true),
  access_token: z.string(),
  refresh_token: z.string().optional(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  expiry: z.number().int(),
  scope: z.string(),
  username: z.string().optional(),
});
const loginResponse = apiTokensSchema.extend({
  user: z.object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    picture: z.string().nullable(),
    username: z.string(),
  }),
});

/** Tokens for apps of the first-party login client, the shape the old service answered with. */
function apiTokens(t: TokenResponse) {
  return {
    success: true as const,
    access_token: t.access_token,
    ...(t.refresh_token ? { refresh_token: t.refresh_token } : {}),
    token_type: t.token_type,
    expires_in: t.expires_in,
    expiry: t.expiry,
    scope: t.scope,
    username: t.username,
  };
}

/**
 * POST /api/login, /api/refresh, /api/logout: sign-in for desktop, mobile and CLI apps that
 * already hold a Google token. Every token here belongs to the login client
 * (google.login_client_id).
 */
export const apiLoginRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);
  const deps: RefreshTokenDeps = {
    db: app.db,
    repos: app.repos,
    config: app.config,
    tokens: app.tokens,
    denyList: app.denyList,
    emit: (event) => recordAuditEvent(app, event),
    stageEvent: (event) => app.auditLog.stage(event),
  };

  app.post(
    '/api/login',
    {
      schema: {
        tags,
        summary: 'Sign in with a Google access token or ID token the app already holds; Gatehouse tokens back',
        security: security.none,
        body: loginBody,
      },
      config: {
        openapi: {
          response: {
            200: ok('Signed in', loginResponse),
            ...errors(400, 401, 429, 502, 503),
          },
        },
      },
    },
    async (request) => {
      const credential: GoogleLoginCredential =
        request.body.id_token !== undefined
          ? { kind: 'id_token', token: request.body.id_token }
          : { kind: 'access_token', token: request.body.access_token! };
      const method = credential.kind;
      let client: Client | undefined;
      try {
        client = await app.loginClient();
        const profile = await verifyGoogleLogin(
          { google: app.google, allowedAudiences: app.config.google.allowed_audiences },
          credential,
        );
        const loginClient = client;
        // Only the person and Gatehouse tokens are written: a Google token sent here creates no
        // broker credential (product rule "/api/login tokens"); only browser sign-in stores those.
        const { user, tokens } = await app.db.transaction(async (tx) => {
          const upserted = await app.repos.users.upsertFromGoogle(profile, tx);
          const claims = await app.repos.users.findClaims(upserted.id, tx);
          const issued = await issueUserTokens(tx, deps, {
            client: loginClient,
            user: claims!,
            scopes: parseScope(loginClient.scope),
            familyId: randomId(),
            newFamily: true,
            refresh: loginClient.grant_types.includes('refresh_token') ? 'new' : undefined,
            authTime: new Date(),
          });
          return { user: upserted, tokens: issued };
        });
        recordAuditEvent(app, {
          event: 'login_success',
          subject: user.id,
          client_id: loginClient.id,
          details: { method },
        });
        return {
          ...apiTokens(tokens),
          user: { id: user.id, name: user.name, email: user.email, picture: user.picture, username: user.username },
        };
      } catch (err) {
        const refused = loginError(err);
        recordAuditEvent(app, {
          event: 'login_failure',
          ...(client ? { client_id: client.id } : {}),
          details: {
            method,
            reason: err instanceof LoginRefusedError ? err.reason : (refused?.error ?? 'server_error'),
          },
        });
        throw refused ?? err;
      }
    },
  );

  app.post(
    '/api/refresh',
    {
      schema: {
        tags,
        summary: "Rotate a login client's refresh token (as the token endpoint's refresh_token grant)",
        security: security.none,
        body: refreshBody,
      },
      config: { openapi: { response: { 200: ok('New tokens', apiTokensSchema), ...errors(400, 503) } } },
    },
    async (request) => {
      const client = await app.loginClient();
      // The token endpoint's own rotation (strict, reuse revokes the family, optional grace).
      return apiTokens(await rotateRefreshToken(deps, client, request.body.refresh_token, undefined));
    },
  );

  app.post(
    '/api/logout',
    {
      schema: {
        tags,
        summary: "End a login client's grant: by its refresh token, its Bearer access token, or both",
        description: 'A refresh token of another client, or an unknown one, changes nothing (as RFC 7009 §2.2).',
        security: [...security.accessToken, {}],
        body: logoutBody,
      },
      config: {
        openapi: {
          response: { 200: ok('Signed out', z.object({ success: z.literal(true) })), ...errors(400, 401, 403, 503) },
        },
      },
    },
    async (request) => {
      const refreshToken = request.body?.refresh_token;
      const hasBearer = request.headers.authorization !== undefined;
      if (!refreshToken && !hasBearer) throw invalidRequest('send a refresh_token, a Bearer access token, or both');
      const claims = hasBearer ? await app.verifyUserBearer(request) : undefined;
      const client = await app.loginClient();

      const revoked = await app.db.transaction(async (tx) => {
        const families: RevokedFamily[] = [];
        // The access token's own grant: holding the token is the proof. Only the login client's:
        // another client's token changes nothing (as RFC 7009 §2.2), this is not its logout.
        if (claims && claims.client_id === client.id) {
          const f = await app.repos.tokenFamilies.revoke(claims.fid, 'logout', tx);
          if (f) families.push(f);
        }
        // A refresh token of another client, or an unknown one, changes nothing (as RFC 7009 §2.2).
        if (refreshToken) {
          const hash = sha256Hex(refreshToken);
          const familyId = await app.repos.refreshTokens.lockFamilyOf(hash, tx);
          const record = familyId ? await app.repos.refreshTokens.find(hash, tx) : null;
          if (record && record.client_id === client.id) {
            const f = await app.repos.tokenFamilies.revoke(record.family_id, 'logout', tx);
            if (f) families.push(f);
          }
        }
        return families;
      });
      // Family revocation also denies every access token of the family until it expires (a product rule).
      for (const f of revoked) await app.denyList.denyFamily(f.id, f.access_expires_at);
      recordAuditEvent(app, {
        event: 'logout',
        ...(claims ? { subject: claims.sub } : {}),
        client_id: client.id,
        details: { families_revoked: revoked.length },
      });
      return { success: true };
    },
  );
};

/** Refusals are 401 invalid_token; Google unreachable or answering nonsense is 502; null: unexpected. */
function loginError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof LoginRefusedError) return invalidToken(err.description);
  if (err instanceof GoogleError)
    return upstreamUnavailable('Google could not be reached or gave an unusable answer; try again', {
      detail: `${err.endpoint}: ${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}`,
    });
  return null;
}
