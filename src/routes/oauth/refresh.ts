import type { FastifyPluginAsync } from 'fastify';
import { readParams } from '../../oauth/form-params.js';
import { answerBroker } from '../broker.js';

/** POST /oauth/refresh (SPEC): API key + `subject`; forces a Google refresh, same response as the broker. */
export const brokerRefreshRoute: FastifyPluginAsync = async (app) => {
  app.post('/oauth/refresh', async (request) => answerBroker(app, request, () => readParams(request.body).subject, true));
};
