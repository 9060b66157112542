import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../../guards/require-api-key.js';
import { formParamsSchema, presentParams } from '../../oauth/form-params.js';
import { FORM, brokerErrors, brokerToken, errors, ok, security } from '../../openapi/components.js';
import { answerBroker } from '../../vault/broker-call.js';

const refreshRequest = z.object({
  subject: z.string().optional().describe("A user id, username or email (or the API key's default subject)"),
  connection_id: z.string().optional().describe('A connection id (instead of subject)'),
  scope: z.string().optional().describe('Google scopes the token must carry, space-separated'),
});

/** POST /oauth/refresh: API key + `subject` or `connection_id`; forces a Google refresh, same response as the broker. */
export const brokerRefreshRoute: FastifyPluginAsyncZod = async (app) => {
  app.addHook('preValidation', requireApiKey('tokens'));

  app.post(
    '/oauth/refresh',
    {
      schema: {
        tags: ['broker'],
        summary: 'Refresh a Google access token at Google now, even when the held one is fresh',
        security: security.apiKey,
        consumes: FORM,
        body: formParamsSchema,
      },
      config: {
        openapi: {
          body: refreshRequest,
          response: {
            200: ok('A freshly refreshed Google access token', brokerToken),
            ...brokerErrors,
            ...errors(415),
          },
        },
      },
    },
    async (request) => {
      const params = presentParams(request.body);
      return answerBroker(app.brokerCall, {
        key: request.apiKey,
        names: { subject: params.subject, connection_id: params.connection_id },
        scope: params.scope,
        force: true,
      });
    },
  );
};
