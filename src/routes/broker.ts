import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey } from '../api-keys/api-key.js';
import { OAuthError, insufficientScope, invalidRequest } from '../oauth/errors.js';
import { readParams } from '../oauth/form-params.js';
import { brokerResponse, type BrokerResponse } from '../vault/broker-response.js';
import type { HeldToken } from '../vault/held-token.js';
import { issueConnectLink } from '../vault/issue-connect-link.js';
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
  const wanted = requestedScopes(request);
  let token: HeldToken;
  try {
    token = await app.vault.getToken(ref, { force });
  } catch (err) {
    // A connection's service cannot send the person anywhere by itself: hand it a way back.
    if (ref.kind !== 'connection' || !(err instanceof OAuthError) || err.error !== 'reauth_required') throw err;
    const connectUrl = await freshLink(app, ref.connectionId, key, []);
    throw new OAuthError(err.error, err.status, err.description, { extra: { connect_url: connectUrl } });
  }
  const granted = new Set(token.scope.split(' ').filter((s) => s !== ''));
  const missing = wanted.filter((s) => !granted.has(s));
  if (missing.length > 0) {
    const description = `the Google grant for this subject lacks the scopes: ${missing.join(' ')}`;
    if (ref.kind !== 'connection') throw insufficientScope(description);
    // Ask for what is held too, so the new grant keeps it even without Google's incremental merge.
    const connectUrl = await freshLink(app, ref.connectionId, key, [...granted, ...missing]);
    throw insufficientScope(description, { connect_url: connectUrl });
  }
  return brokerResponse(token);
}

/** RFC 6749 §3.3 scope-tokens, space-separated. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

/** The optional `scope` of a broker call: the query of a GET, the form body of a POST. */
function requestedScopes(request: FastifyRequest): string[] {
  const raw =
    request.method === 'GET'
      ? (request.query as Record<string, unknown> | undefined)?.scope
      : readParams(request.body).scope;
  if (raw === undefined || raw === '') return [];
  if (typeof raw !== 'string' || raw.length > 4096)
    throw invalidRequest('scope must be one string of space-separated Google scopes');
  const scopes = raw.split(' ').filter((s) => s !== '');
  if (!scopes.every((s) => SCOPE_TOKEN.test(s)))
    throw invalidRequest('scope must be space-separated Google scopes (RFC 6749 §3.3 scope-tokens)');
  return [...new Set(scopes)];
}

/**
 * A new link for the connection, asking for what its last link asked for plus `scopes`, and
 * returning the person to wherever its last link did.
 */
async function freshLink(app: FastifyInstance, connectionId: string, key: ApiKey, scopes: readonly string[]) {
  const last = await app.repos.connections.lastLink(connectionId);
  const { connectUrl } = await issueConnectLink(app, {
    connectionId,
    apiKeyId: key.id,
    returnTo: last?.returnTo ?? null,
    scopes: [...(last?.scopes ?? []), ...scopes],
  });
  return connectUrl;
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
