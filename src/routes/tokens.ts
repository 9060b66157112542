import type { FastifyPluginAsync } from 'fastify';
import { answerBroker } from './broker.js';
import { noStore } from './no-store.js';

/** GET /tokens/:subject (SPEC): the broker call as a GET, for services that prefer one. */
export const tokensRoutes: FastifyPluginAsync = async (app) => {
  noStore(app);
  app.get<{ Params: { subject: string } }>('/tokens/:subject', async (request) =>
    answerBroker(app, request, () => request.params.subject, false),
  );
};
