import type { FastifyPluginAsync } from 'fastify';
import { answerBroker, noStore } from './broker.js';

/** GET /tokens/:subject (SPEC): the broker call as a GET, for services that prefer one. */
export const tokensRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (_request, reply) => noStore(reply));
  app.get<{ Params: { subject: string } }>('/tokens/:subject', async (request) =>
    answerBroker(app, request, () => request.params.subject, false),
  );
};
