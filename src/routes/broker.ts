import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest } from '../oauth/errors.js';
import { brokerResponse, type BrokerResponse } from '../vault/broker-response.js';
import { isWellFormedSubject, subjectSchema } from '../vault/subject.js';

/**
 * One broker call, shared by POST /oauth/token (Bearer), GET /tokens/:subject and
 * POST /oauth/refresh: the API key first (401/403 before anything about the request is
 * revealed), then the subject, then the vault. Callers set no-store.
 */
export async function answerBroker(
  app: FastifyInstance,
  request: FastifyRequest,
  readSubject: () => unknown,
  force: boolean,
): Promise<BrokerResponse> {
  await app.authenticateApiKey(request, 'tokens');
  const subject = readSubject();
  if (subject === undefined || subject === '') throw invalidRequest('subject is required');
  if (isWellFormedSubject(subject)) return brokerResponse(await app.vault.getToken(subject, { force }));
  // Only a refused subject pays for zod, which words the reason.
  const parsed = subjectSchema.safeParse(subject);
  if (!parsed.success) throw invalidRequest(`subject: ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return brokerResponse(await app.vault.getToken(parsed.data, { force }));
}

