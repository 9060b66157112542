import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey } from '../api-keys/api-key.js';
import { invalidRequest } from '../oauth/errors.js';
import { brokerResponse, type BrokerResponse } from '../vault/broker-response.js';
import {
  ACCEPTED_SUBJECT_FORMS,
  connectionIdSchema,
  isConnectionId,
  isWellFormedSubject,
  subjectSchema,
  toSubjectRef,
  type SubjectRef,
} from '../vault/subject.js';

/** What a broker request names: at most one of the two, or neither (the key's default_subject). */
export interface BrokerNames {
  subject?: unknown;
  connection_id?: unknown;
}

/**
 * One broker call, shared by POST /oauth/token (Bearer), POST /oauth/refresh,
 * GET /tokens/:subject and GET /connections/:id/token: the API key first (401/403 before
 * anything about the request is revealed), then the subject, then the vault. Callers set no-store.
 */
export async function answerBroker(
  app: FastifyInstance,
  request: FastifyRequest,
  readNames: () => BrokerNames,
  force: boolean,
): Promise<BrokerResponse> {
  const key = await app.authenticateApiKey(request, 'tokens');
  const ref = subjectOf(readNames(), key);
  return brokerResponse(await app.vault.getToken(ref, { force }));
}

/** A person (subject) or a connection (connection_id), never both, never a guess between them. */
export function subjectOf(names: BrokerNames, key: ApiKey): SubjectRef {
  const subject = names.subject === '' ? undefined : names.subject;
  const connectionId = names.connection_id === '' ? undefined : names.connection_id;
  if (subject !== undefined && connectionId !== undefined) {
    throw invalidRequest(`subject and connection_id name different things; ${ACCEPTED_SUBJECT_FORMS}`);
  }
  if (subject !== undefined) return { kind: 'person', subject: personSubject(subject) };
  if (connectionId !== undefined) {
    if (isConnectionId(connectionId)) return { kind: 'connection', connectionId };
    const parsed = connectionIdSchema.safeParse(connectionId);
    throw invalidRequest(`connection_id: ${parsed.error?.issues[0]?.message ?? 'is invalid'}`);
  }
  if (key.default_subject) return toSubjectRef(key.default_subject);
  throw invalidRequest(`subject or connection_id is required; ${ACCEPTED_SUBJECT_FORMS}`);
}

function personSubject(subject: unknown): string {
  if (isWellFormedSubject(subject)) return subject;
  // Only a refused subject pays for zod, which words the reason.
  const parsed = subjectSchema.safeParse(subject);
  throw invalidRequest(`subject: ${parsed.error?.issues[0]?.message ?? 'is invalid'}`);
}
