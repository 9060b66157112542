import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../guards/require-api-key.js';
import { noStore } from '../http/no-store.js';
import { brokerErrors, brokerToken, ok, security } from '../openapi/components.js';
import { answerBroker } from '../vault/broker-call.js';

const scopeQuery = z.object({
  scope: z.string().optional().describe('Google scopes the token must carry, space-separated'),
});
const tags = ['broker'];
const response = { 200: ok('A Google access token', brokerToken), ...brokerErrors };

/**
 * The broker call as a GET, for services that prefer one: GET /tokens/:subject names a person
 * only, GET /connections/:id/token a connection only (API key scope `tokens` for both).
 */
export const tokensRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);
  app.addHook('preValidation', requireApiKey('tokens'));

  app.get(
    '/tokens/:subject',
    {
      schema: {
        tags,
        summary: "A person's Google access token (refreshed at Google when it is about to expire)",
        security: security.apiKey,
        // The broker words its own refusals of a subject; the schemas only document.
        params: z.object({ subject: z.string().describe('A user id, username or email') }),
        querystring: scopeQuery,
      },
      config: { openapi: { response } },
    },
    async (request) =>
      answerBroker(app.brokerCall, {
        key: request.apiKey,
        names: { subject: request.params.subject },
        scope: request.query.scope,
        force: false,
      }),
  );

  app.get(
    '/connections/:id/token',
    {
      schema: {
        tags,
        summary: "A connection's Google access token (refreshed at Google when it is about to expire)",
        security: security.apiKey,
        params: z.object({ id: z.string().describe('The connection id') }),
        querystring: scopeQuery,
      },
      config: { openapi: { response } },
    },
    async (request) =>
      answerBroker(app.brokerCall, {
        key: request.apiKey,
        names: { connection_id: request.params.id },
        scope: request.query.scope,
        force: false,
      }),
  );
};
