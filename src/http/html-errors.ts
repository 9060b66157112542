import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toApiError } from '../plugins/error-handler.js';
import { errorPage } from '../views/pages/error.js';
import { sendPage } from '../views/reply.js';

/**
 * Browser routes answer errors with a page, not JSON (`app.setErrorHandler(htmlErrorHandler())`
 * in their scope): the same status the JSON handler would choose, a readable message for 4xx, and
 * nothing about internals for 5xx (the cause is logged by toApiError). `back` replaces the page's
 * "Try again" (a sign-in) where that is pointless, e.g. in the admin console.
 */
export function htmlErrorHandler(back?: { url: string; label: string }) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const e = toApiError(err, request);
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    const message =
      e.status === 404
        ? `Nothing here: ${e.description}.`
        : e.status < 500
          ? `The request was not valid: ${e.description}.`
          : 'Something went wrong on our side. Please try again in a moment.';
    return sendPage(
      reply,
      errorPage({
        title: e.status === 404 ? 'Not found' : e.status < 500 ? 'Bad request' : 'Something went wrong',
        message,
        ...(back ? { retryUrl: back.url, retryLabel: back.label } : {}),
      }),
      e.status,
    );
  };
}
