import type { FastifyPluginAsync } from 'fastify';
import { answerBroker, brokerGetDocs } from './broker.js';
import { noStore } from './no-store.js';

/**
 * The broker call as a GET, for services that prefer one: GET /tokens/:subject names a person
 * only, GET /connections/:id/token a connection only (API key scope `tokens` for both).
 */
export const tokensRoutes: FastifyPluginAsync = async (app) => {
  noStore(app);
  app.get<{ Params: { subject: string } }>('/tokens/:subject', { config: brokerGetDocs }, async (request) =>
    answerBroker(app, request, () => ({ subject: request.params.subject }), false),
  );
  app.get<{ Params: { id: string } }>('/connections/:id/token', { config: brokerGetDocs }, async (request) =>
    answerBroker(app, request, () => ({ connection_id: request.params.id }), false),
  );
};
