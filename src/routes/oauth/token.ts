import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { invalidRequest, unauthorizedClient, unsupportedGrantType } from '../../oauth/errors.js';
import { answerBroker } from '../broker.js';
import { readParams } from '../../oauth/form-params.js';
import { grants, type TokenEndpointDeps } from '../../oauth/grants/index.js';

/**
 * POST /oauth/token (RFC 6749 §3.2): shared steps once, then the grant's own handler. A request
 * with `Authorization: Bearer <api key>` is a broker request instead (product rule "Broker request").
 */
export const tokenRoute: FastifyPluginAsync = async (app) => {
  const deps: TokenEndpointDeps = {
    db: app.db,
    repos: app.repos,
    config: app.config,
    tokens: app.tokens,
    denyList: app.denyList,
    broker: app.vault,
    emit: (event) => app.audit(event),
  };

  app.post('/oauth/token', async (request) => {
    if (/^Bearer\s/i.test(request.headers.authorization ?? '')) return brokerRequest(request);
    const params = readParams(request.body);
    // grant_type REQUIRED (RFC 6749 §4.1.3, §4.4.2, §6)
    const grantType = params.grant_type;
    if (!grantType) throw invalidRequest('grant_type is required');
    const grant = grants.get(grantType);
    if (!grant) throw unsupportedGrantType(`grant_type '${grantType}' is not supported`);
    const { client } = await app.authenticateClient(request);
    app.denyList.assertFresh();
    if (!client.grant_types.includes(grantType as never)) {
      throw unauthorizedClient(`this client is not allowed the ${grantType} grant`);
    }
    const declared: Partial<Record<string, string>> = {};
    for (const name of grant.parameters) if (params[name] !== undefined) declared[name] = params[name];
    const response = await grant.handler({
      request,
      client,
      params: declared,
      deps: { ...deps, emit: (e) => app.audit({ ...e, ip: request.ip }) },
    });
    app.metrics.tokensIssued.inc({ grant: grantType });
    return response;
  });

  /**
   * product rule "Broker request": "no grant_type needed". One that is sent is refused rather than
   * ignored, so a token-exchange form (RFC 8693) can be added later without changing what an
   * existing request means.
   */
  function brokerRequest(request: FastifyRequest) {
    return answerBroker(
      app,
      request,
      () => {
        const params = readParams(request.body);
        if (params.grant_type)
          throw unsupportedGrantType('the Google token broker takes no grant_type; send subject or connection_id');
        return { subject: params.subject, connection_id: params.connection_id };
      },
      false,
    );
  }
};
