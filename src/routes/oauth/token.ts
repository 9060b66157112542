import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../../guards/require-api-key.js';
import { invalidRequest, unauthorizedClient, unsupportedGrantType } from '../../oauth/errors.js';
import { formParamsSchema, presentParams, type FormParams } from '../../oauth/form-params.js';
import { grants, type TokenEndpointDeps } from '../../oauth/grants/index.js';
import { FORM, brokerToken, errors, security, tokenResponse } from '../../openapi/components.js';
import { answerBroker } from '../../vault/broker-call.js';

const param = (description: string) => z.string().optional().describe(description);

/** The parameters of every grant and of the broker form, for the document (the route validates `formParamsSchema`). */
const tokenRequest = z.object({
  grant_type: param(
    'authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code or ' +
      'urn:ietf:params:oauth:grant-type:token-exchange; absent for a broker request (Bearer API key)',
  ),
  client_id: param('Public clients, and client_secret_post (RFC 6749 §2.3.1)'),
  client_secret: param('client_secret_post only; prefer HTTP Basic'),
  code: param('authorization_code (RFC 6749 §4.1.3)'),
  redirect_uri: param('authorization_code: as sent to /oauth/authorize'),
  code_verifier: param('authorization_code: the PKCE verifier (RFC 7636 §4.5)'),
  refresh_token: param('refresh_token (RFC 6749 §6)'),
  scope: param('client_credentials, refresh_token (narrowing) or token exchange; broker: Google scopes required'),
  device_code: param('device_code (RFC 8628 §3.4)'),
  subject_token: param('token exchange (RFC 8693 §2.1): a Gatehouse access token'),
  subject_token_type: param('token exchange: urn:ietf:params:oauth:token-type:access_token'),
  requested_token_type: param('token exchange: urn:ietf:params:oauth:token-type:access_token'),
  resource: param('token exchange'),
  audience: param('token exchange'),
  subject: param("Broker request: a user id, username or email (or the API key's default subject)"),
  connection_id: param('Broker request: a connection id'),
});

const isBearer = (request: FastifyRequest) => /^Bearer\s/i.test(request.headers.authorization ?? '');

/**
 * POST /oauth/token (RFC 6749 §3.2): shared steps once, then the grant's own handler. A request
 * with `Authorization: Bearer <api key>` is a broker request instead (product rule "Broker request").
 */
export const tokenRoute: FastifyPluginAsyncZod = async (app) => {
  const deps: TokenEndpointDeps = {
    db: app.db,
    repos: app.repos,
    config: app.config,
    tokens: app.tokens,
    denyList: app.denyList,
    broker: app.vault,
    emit: (event) => app.audit(event),
    stageEvent: (event) => app.auditLog.stage(event),
  };

  app.post(
    '/oauth/token',
    {
      // Only a broker request (Bearer) needs an API key; client authentication is the handler's.
      preValidation: requireApiKey('tokens', { when: isBearer }),
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint (RFC 6749 §3.2): every grant, and the Google token broker with a Bearer API key',
        description:
          'Clients authenticate with HTTP Basic, client_secret_post, or client_id alone (public clients). ' +
          'With `Authorization: Bearer <api key>` (scope `tokens`) and no grant_type, answers a Google access token.',
        security: [...security.clientBasic, ...security.apiKey, {}],
        consumes: FORM,
        body: formParamsSchema,
      },
      config: {
        openapi: {
          body: tokenRequest,
          response: {
            200: {
              description: 'Tokens (a grant), or a Google access token (a broker request)',
              content: { 'application/json': { schema: z.union([tokenResponse, brokerToken]) } },
            },
            ...errors(400, 401, 403, 404, 409, 415, 429, 502, 503),
          },
        },
      },
    },
    async (request) => {
      const body = request.body;
      if (isBearer(request)) return brokerRequest(request, presentParams(body));
      const params = presentParams(body);
      // grant_type REQUIRED (RFC 6749 §4.1.3, §4.4.2, §6)
      const grantType = params.grant_type;
      if (!grantType) throw invalidRequest('grant_type is required');
      const grant = grants.get(grantType);
      if (!grant) throw unsupportedGrantType(`grant_type '${grantType}' is not supported`);
      const { client } = await app.authenticateClient(request, body);
      app.denyList.assertFresh();
      if (!client.grant_types.includes(grantType as never)) {
        throw unauthorizedClient(`this client is not allowed the ${grantType} grant`);
      }
      const declared: FormParams = {};
      for (const name of grant.parameters) if (params[name] !== undefined) declared[name] = params[name];
      const response = await grant.handler({
        request,
        client,
        params: declared,
        deps: {
          ...deps,
          emit: (e) => app.audit({ ...e, ip: request.ip }),
          stageEvent: (e) => app.auditLog.stage({ ...e, ip: request.ip }),
        },
      });
      app.metrics.tokensIssued.inc({ grant: grantType });
      return response;
    },
  );

  /**
   * product rule "Broker request": "no grant_type needed". One that is sent is refused rather than
   * ignored, so a token-exchange form (RFC 8693) can be added later without changing what an
   * existing request means.
   */
  function brokerRequest(request: FastifyRequest, params: FormParams) {
    if (params.grant_type)
      throw unsupportedGrantType('the Google token broker takes no grant_type; send subject or connection_id');
    return answerBroker(app.brokerCall, {
      key: request.apiKey,
      names: { subject: params.subject, connection_id: params.connection_id },
      scope: params.scope,
      force: false,
    });
  }
};
