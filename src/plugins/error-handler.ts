import fp from 'fastify-plugin';
import { wantsHtml } from '../views/browser-accept.js';
import { notFoundPage } from '../views/pages/landing.js';
import { sendPage } from '../views/reply.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CacheUnavailableError } from '../cache/cache.js';
import { DecryptionError } from '../crypto/keyring.js';
import { HasherBusyError } from '../crypto/secret-hasher.js';
import { DatabaseUnavailableError } from '../storage/unavailable.js';
import {
  ApiError,
  errorBody,
  invalidRequest,
  notFound,
  payloadTooLarge,
  serverError,
  tooManyRequests,
  unavailable,
  unsupportedMediaType,
} from '../oauth/errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[] } };
}

/**
 * One place that writes every error response: the error shape (docs/reference/errors.md) and RFC status, headers the
 * error carries, and never a stack trace or an error's private `detail` (logged instead).
 * Anything unexpected becomes a generic server_error and its cause is logged.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => sendError(toApiError(err, request), reply));
    app.setNotFoundHandler((request, reply) =>
      // A browser navigating to a wrong address gets a page; API clients keep the JSON shape.
      request.method === 'GET' && wantsHtml(request)
        ? sendPage(reply, notFoundPage(), 404)
        : sendError(notFound(`no route for ${request.method} ${request.url.split('?')[0]}`), reply),
    );
  },
  { name: 'error-handler' },
);

export function sendError(err: ApiError, reply: FastifyReply): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err));
}

export function toApiError(err: FastifyError, request: FastifyRequest): ApiError {
  if (err instanceof ApiError) {
    // The server-side half of a refusal: which check failed, what Google said. Never sent.
    if (err.detail !== undefined) request.log.info({ error: err.error, detail: err.detail }, 'request refused');
    return err;
  }
  if (err instanceof DatabaseUnavailableError || err instanceof CacheUnavailableError) {
    request.log.warn({ err: err.cause ?? err }, err.message);
    return unavailable('a storage backend is unavailable; try again shortly');
  }
  if (err instanceof HasherBusyError) {
    // product rule "Abuse limits": beyond the argon2 slots and their queue, 503 with Retry-After.
    return new ApiError('unavailable', 503, 'too many credential checks in progress; try again shortly', {
      headers: { 'retry-after': '1' },
    });
  }
  if (err instanceof DecryptionError && err.missingKid !== undefined) {
    // A rolling deploy that put a new key first before every instance knew it: this instance
    // cannot read what a newer one wrote. A configuration state to finish, not a server bug.
    request.log.error(
      { err },
      'stored ciphertext is under an encryption key this instance does not hold; finish the ENCRYPTION_KEYS rotation',
    );
    return unavailable(
      'this instance cannot decrypt the stored credential (an encryption key rotation is in progress); try again shortly',
    );
  }
  if (err.validation) return invalidRequest(describeValidation(err.validation, err.validationContext));
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(`request body exceeds ${request.server.config.server.body_limit_bytes} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(
        'unsupported Content-Type; send application/x-www-form-urlencoded or application/json',
      );
    case 'FST_ERR_RATE_LIMIT_EXCEEDED':
      return tooManyRequests(Number(err.message) || 60);
  }
  if (err.statusCode === 429) return tooManyRequests(60);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    // Fastify's own 4xx errors (malformed JSON, bad Content-Length, …) have safe messages.
    return invalidRequest(err.code?.startsWith('FST_') ? err.message : 'malformed request');
  }
  request.log.error({ err }, 'unhandled error');
  return serverError('internal server error');
}

function describeValidation(issues: ValidationIssue[], context: string | undefined): string {
  const first = issues[0];
  if (!first) return 'invalid request';
  const path = first.instancePath?.replace(/^\//, '').replace(/\//g, '.') || '';
  const where = path ? `${path}` : (context ?? 'request');
  return `${where}: ${first.message ?? 'is invalid'}`;
}
