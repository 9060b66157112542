import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEVICE_CODE_GRANT_TYPE } from '../../clients/client.js';
import { deviceRequestScopes } from '../../oauth/device-scope.js';
import { unauthorizedClient } from '../../oauth/errors.js';
import { formParamsSchema, presentParams } from '../../oauth/form-params.js';
import { FORM, errors, ok, security } from '../../openapi/components.js';
import { DEVICE_CODE_TTL_SECONDS, DEVICE_POLL_INTERVAL_SECONDS } from '../../repositories/device-authorizations.js';

/** Where the person enters the user code (RFC 8628 §3.2 verification_uri). */
export const DEVICE_VERIFICATION_PATH = '/device';

const deviceRequest = z.object({
  client_id: z.string().optional().describe('Public clients, and client_secret_post'),
  client_secret: z.string().optional().describe('client_secret_post only; prefer HTTP Basic'),
  scope: z.string().optional().describe('Space-separated; defaults to what the client is registered for'),
});

const deviceResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int().describe('Seconds to wait between polls of the token endpoint'),
});

/**
 * POST /oauth/device_authorization (RFC 8628 §3.1–3.2). "The client authentication requirements
 * of Section 3.2.1 of [RFC6749] apply to requests on this endpoint": confidential clients
 * authenticate as at the token endpoint, public clients send client_id.
 */
export const deviceAuthorizationRoute: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/oauth/device_authorization',
    {
      schema: {
        tags: ['oauth'],
        summary: 'Start a device authorization (RFC 8628 §3.1): a user code for the person, a device code to poll with',
        security: [...security.clientBasic, {}],
        consumes: FORM,
        body: formParamsSchema,
      },
      config: {
        openapi: {
          body: deviceRequest,
          response: { 200: ok('Codes for the device flow', deviceResponse), ...errors(400, 401, 415, 429, 503) },
        },
      },
    },
    async (request) => {
      const params = presentParams(request.body);
      const { client } = await app.authenticateClient(request, request.body);
      if (!client.grant_types.includes(DEVICE_CODE_GRANT_TYPE)) {
        throw unauthorizedClient(`this client is not allowed the ${DEVICE_CODE_GRANT_TYPE} grant`);
      }
      const scopes = deviceRequestScopes(client, params.scope);
      const { deviceCode, userCode } = await app.repos.deviceAuthorizations.create({
        clientId: client.id,
        scope: scopes.join(' '),
      });
      await app.repos.deviceAuthorizations.deleteExpired();
      app.audit({
        event: 'device_authorization_requested',
        client_id: client.id,
        ip: request.ip,
        details: { scope: scopes.join(' ') },
      });
      const verificationUri = `${app.config.public_url}${DEVICE_VERIFICATION_PATH}`;
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verificationUri,
        // RFC 8628 §3.3.1: the user code in the URI, so the person need not type it.
        verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: userCode })}`,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      };
    },
  );
};
