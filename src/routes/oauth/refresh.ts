import type { FastifyPluginAsync } from 'fastify';
import { readParams } from '../../oauth/form-params.js';
import { answerBroker, brokerPostDocs } from '../broker.js';

/** POST /oauth/refresh: API key + `subject` or `connection_id`; forces a Google refresh, same response as the broker. */
export const brokerRefreshRoute: FastifyPluginAsync = async (app) => {
  app.post('/oauth/refresh', { config: brokerPostDocs }, async (request) =>
    answerBroker(
      app,
      request,
      () => {
        const params = readParams(request.body);
        return { subject: params.subject, connection_id: params.connection_id };
      },
      true,
    ),
  );
};
