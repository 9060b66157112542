import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isUserToken } from '../oauth/tokens.js';
import { ApiError, conflict, forbidden, insufficientScope, invalidRequest, invalidToken } from '../oauth/errors.js';
import { parseScope } from '../oauth/scopes.js';
import { standardClaims } from '../oauth/standard-claims.js';
import { UsernameTakenError, type User } from '../repositories/users.js';
import { recordAuditEvent } from '../users/audit-events.js';
import { userInfoResponse } from '../users/user-info.js';
import { canonicalUsername, isReservedUsername } from '../users/username.js';
import { noStore } from '../http/no-store.js';
import { errors, ok, security } from '../openapi/components.js';

const userInfoQuery = z.object({ username: z.string().max(256).optional() });
const updateUsernameBody = z.object({ new_username: z.string().max(256) });
const userinfoBody = z.object({ access_token: z.string().max(8192).optional() }).nullish();

const userInfoResponse200 = z.object({
  success: z.literal(true),
  user_data: z
    .object({
      first_name: z.string().nullable().optional(),
      last_name: z.string().nullable().optional(),
      username: z.string().optional(),
      two_factor: z.boolean().optional(),
      verified: z.boolean().optional(),
      email: z.string().nullable().optional(),
    })
    .describe('profile: names and username; email: address and whether it is verified'),
  timestamp: z.number().int(),
});
const oidcUserInfo = z
  .object({ sub: z.string() })
  .loose()
  .describe('sub, and the standard claims the scopes cover (OIDC Core §5.4)');
/** A user access token: refused (401), another user's or a client's (403), or revocation state unreadable (503). */
const BEARER_ERRORS = [401, 403, 503] as const;

/** RFC 6750 §2.2: access_token in an application/x-www-form-urlencoded body (POST only). */
function bodyAccessToken(request: FastifyRequest): string | undefined {
  if (
    request.method !== 'POST' ||
    !String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  )
    return undefined;
  const body = request.body as { access_token?: string } | undefined;
  return body?.access_token;
}

/** GET /user/info, GET|POST /userinfo, POST /api/update_username: a person's own data. */
export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);

  /** The token's user (cached per instance; username changes reach every instance at once). */
  async function currentUser(userId: string): Promise<User> {
    const user = await app.userProfiles.get(userId);
    if (!user) throw invalidToken('the user of this access token no longer exists');
    return user;
  }

  // product rule "Usernames": /user/info decides by the token's user id, not by a string. The username
  // parameter is only compared with that user's current name, so a renamed user's old token
  // reaches the new name and nobody else's, whatever name it was issued under.
  app.get(
    '/user/info',
    {
      schema: {
        tags: ['users'],
        summary: "The token's person, as the older account service answered (username must match when given)",
        security: security.accessToken,
        querystring: userInfoQuery,
      },
      config: {
        openapi: { response: { 200: ok('The person', userInfoResponse200), ...errors(400, ...BEARER_ERRORS) } },
      },
    },
    async (request) => {
      const claims = await app.verifyUserBearer(request);
      const user = await currentUser(claims.sub);
      const asked = request.query.username;
      // The stored name is canonical, so the usual exact match needs no NFKC pass.
      if (asked !== undefined && asked !== user.username && canonicalUsername(asked) !== user.username) {
        throw forbidden('this access token belongs to another user');
      }
      return userInfoResponse(user, parseScope(claims.scope));
    },
  );

  // OIDC Core §5.3.1: "The UserInfo Endpoint MUST support the use of the HTTP GET and HTTP POST
  // methods" and the access token is sent as a Bearer token (RFC 6750).
  const userinfo = async (request: FastifyRequest) => {
    const formToken = bodyAccessToken(request);
    if (formToken !== undefined) {
      // RFC 6750 §2.2 form-encoded body parameter; §3.1: "more than one method" is invalid_request.
      if (request.headers.authorization !== undefined) throw invalidRequest('send the access token in one place only');
      // Checked exactly like the header form (one verification path for every Bearer check).
      request.headers.authorization = `Bearer ${formToken}`;
    }
    if (request.headers.authorization === undefined) {
      // RFC 6750 §3.1: "If the request lacks any authentication information ..., the resource
      // server SHOULD NOT include an error code or other error information."
      throw new ApiError('invalid_token', 401, 'a Bearer access token is required', {
        headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
      });
    }
    const claims = await app.verifyBearer(request);
    if (!isUserToken(claims))
      throw insufficientScope('a user access token is required; client tokens have no userinfo');
    const scopes = parseScope(claims.scope);
    // OIDC Core §5.3: the UserInfo Endpoint answers for access tokens of an OpenID request.
    if (!scopes.includes('openid')) throw insufficientScope('the access token lacks the openid scope');
    const user = await app.repos.users.findClaims(claims.sub);
    if (!user) throw invalidToken('the user of this access token no longer exists');
    // §5.3.2: "The sub (subject) Claim MUST always be returned in the UserInfo Response."
    return { sub: user.id, ...standardClaims(user, scopes) };
  };
  const userinfoDocs = {
    tags: ['oauth'],
    summary: 'OIDC UserInfo (OIDC Core §5.3): the claims of an access token with the openid scope',
    security: security.accessToken,
  };
  const userinfoResponses = { 200: ok('The claims', oidcUserInfo), ...errors(400, ...BEARER_ERRORS) };
  app.get('/userinfo', { schema: userinfoDocs, config: { openapi: { response: userinfoResponses } } }, userinfo);
  app.post(
    '/userinfo',
    {
      // RFC 6750 §2.2: the token may come as a form parameter instead of the header.
      schema: { ...userinfoDocs, body: userinfoBody, consumes: ['application/x-www-form-urlencoded'] },
      config: { openapi: { response: userinfoResponses } },
    },
    userinfo,
  );

  async function isFirstPartyClient(clientId: string): Promise<boolean> {
    if (clientId === app.config.google.login_client_id) return true;
    const client = await app.clientStore.findById(clientId);
    return client !== null && !client.disabled && client.first_party;
  }

  app.post(
    '/api/update_username',
    {
      schema: {
        tags: ['users'],
        summary: "Change the token's person's username (login client or first-party clients only)",
        security: security.accessToken,
        body: updateUsernameBody,
      },
      config: {
        openapi: {
          response: {
            200: ok('Changed', z.object({ success: z.literal(true), username: z.string() })),
            ...errors(400, ...BEARER_ERRORS, 409),
          },
        },
      },
    },
    async (request) => {
      const claims = await app.verifyUserBearer(request);
      const refuse = (reason: string, err: ApiError): never => {
        recordAuditEvent(app, {
          event: 'username_change_refused',
          subject: claims.sub,
          client_id: claims.client_id,
          details: { reason },
        });
        throw err;
      };
      // A username names a person to the Google token broker: only the person's own sign-in
      // (the login client) or a first-party client may change it, never a third-party app that
      // the person granted some unrelated scope.
      if (!(await isFirstPartyClient(claims.client_id))) {
        return refuse(
          'not_first_party',
          forbidden('only the login client or a first-party client may change a username'),
        );
      }
      // product rule "Usernames": canonicalised once (NFKC, lowercase), the same way as at creation.
      const wanted = canonicalUsername(request.body.new_username);
      if (!wanted) {
        return refuse(
          'invalid_format',
          invalidRequest('new_username must be 3 to 32 characters of a-z, 0-9, _ . - (after NFKC and lowercasing)'),
        );
      }
      if (isReservedUsername(wanted, app.config.google.login_client_id))
        return refuse('reserved', invalidRequest('that username is reserved'));
      const before = await currentUser(claims.sub);
      let after: User | null;
      try {
        // The unique constraint decides races: of two requests for one name, one commits.
        after = await app.repos.users.changeUsername(claims.sub, wanted);
      } catch (err) {
        // Held names (given up by a rename or a deletion less than 30 days ago) refuse the same way.
        if (err instanceof UsernameTakenError)
          return refuse('taken', conflict('that username is taken or was given up recently', 'username_taken'));
        throw err;
      }
      if (!after) throw invalidToken('the user of this access token no longer exists');
      await app.userProfiles.changed(claims.sub);
      if (before.username !== after.username) {
        recordAuditEvent(app, {
          event: 'username_changed',
          subject: claims.sub,
          client_id: claims.client_id,
          details: { from: before.username, to: after.username },
        });
      }
      return { success: true, username: after.username };
    },
  );
};
