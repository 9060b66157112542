import fp from 'fastify-plugin';
import { invalidRequest } from '../oauth/errors.js';

/**
 * RFC 6749 §3.1/§3.2: "Request and response parameters MUST NOT be included more than once."
 * Form and query parsers turn a repeated name into an array; any array there is a repeat.
 * JSON bodies are exempt: arrays are legitimate values there.
 */
export const duplicateParametersPlugin = fp(
  async (app) => {
    app.addHook('preValidation', (request, _reply, done) => {
      const repeated =
        findRepeated(request.query) ??
        (isForm(request.headers['content-type']) ? findRepeated(request.body) : undefined);
      done(repeated === undefined ? undefined : invalidRequest(`parameter '${repeated}' was sent more than once`));
    });
  },
  { name: 'duplicate-parameters' },
);

function isForm(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') ?? false;
}

function findRepeated(params: unknown): string | undefined {
  if (!params || typeof params !== 'object') return undefined;
  for (const name in params) if (Array.isArray((params as Record<string, unknown>)[name])) return name;
  return undefined;
}
