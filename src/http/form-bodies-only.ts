import type { onRequestHookHandler } from 'fastify';
import { unsupportedMediaType } from '../oauth/errors.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * RFC 6749 §3.2 and §4.1.3: token requests are application/x-www-form-urlencoded. Any other
 * content type, JSON included, is 415 before the body is read; a request without a body is
 * left to the endpoint (it answers invalid_request for what is missing). Register it once per
 * scope: `app.addHook('onRequest', formBodiesOnly)`.
 */
export const formBodiesOnly: onRequestHookHandler = (request, _reply, done) => {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (request.method === 'POST' && hasBody && type !== FORM) {
    done(unsupportedMediaType(`the request body must be ${FORM}`));
    return;
  }
  done();
};
