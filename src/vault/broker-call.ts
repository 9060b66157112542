import type { ApiKey } from '../api-keys/api-key.js';
import { ApiError, insufficientScope, invalidRequest } from '../oauth/errors.js';
import type { ConnectLink } from '../repositories/connections.js';
import { brokerResponse, type BrokerResponse } from './broker-response.js';
import type { TokenBroker } from './broker.js';
import type { HeldToken } from './held-token.js';
import {
  ACCEPTED_SUBJECT_FORMS,
  connectionIdSchema,
  isConnectionId,
  isWellFormedSubject,
  subjectSchema,
  toSubjectRef,
  type SubjectRef,
} from './subject.js';

/** What a broker request names: at most one of the two, or neither (the key's default_subject). */
export interface BrokerNames {
  subject?: unknown;
  connection_id?: unknown;
}

/** What one broker call needs: the vault, a connection's last link, and a way to issue a new one. */
export interface BrokerCallDeps {
  getToken: TokenBroker['getToken'];
  lastLink: (connectionId: string) => Promise<Pick<ConnectLink, 'returnTo' | 'scopes'> | null>;
  issueConnectLink: (link: {
    connectionId: string;
    apiKeyId: string;
    returnTo: string | null;
    scopes: readonly string[];
  }) => Promise<{ connectUrl: string }>;
}

export interface BrokerCall {
  /** The API key the route's guard proved (scope `tokens`). */
  key: ApiKey;
  names: BrokerNames;
  /** The optional `scope` parameter: Google scopes the token must carry. */
  scope: unknown;
  /** POST /oauth/refresh: refresh at Google even when the held token is fresh. */
  force: boolean;
}

/**
 * One broker call, shared by POST /oauth/token (Bearer), POST /oauth/refresh,
 * GET /tokens/:subject and GET /connections/:id/token: the subject, then the vault. The API key
 * is checked earlier by the route's guard (401/403 before anything about the request is
 * revealed); the routes set no-store.
 */
export async function answerBroker(deps: BrokerCallDeps, call: BrokerCall): Promise<BrokerResponse> {
  const ref = subjectOf(call.names, call.key);
  const wanted = requestedScopes(call.scope);
  let token: HeldToken;
  try {
    token = await deps.getToken(ref, { force: call.force });
  } catch (err) {
    // A connection's service cannot send the person anywhere by itself: hand it a way back.
    if (ref.kind !== 'connection' || !(err instanceof ApiError) || err.error !== 'reauth_required') throw err;
    const connectUrl = await freshLink(deps, ref.connectionId, call.key, []);
    throw new ApiError(err.error, err.status, err.description, { extra: { connect_url: connectUrl } });
  }
  const granted = new Set(token.scope.split(' ').filter((s) => s !== ''));
  const missing = wanted.filter((s) => !granted.has(s));
  if (missing.length > 0) {
    const description = `the Google grant for this subject lacks the scopes: ${missing.join(' ')}`;
    if (ref.kind !== 'connection') throw insufficientScope(description);
    // Ask for what is held too, so the new grant keeps it even without Google's incremental merge.
    const connectUrl = await freshLink(deps, ref.connectionId, call.key, [...granted, ...missing]);
    throw insufficientScope(description, { connect_url: connectUrl });
  }
  return brokerResponse(token);
}

/** RFC 6749 §3.3 scope-tokens, space-separated. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

/** The optional `scope` of a broker call: the query of a GET, the form body of a POST. */
function requestedScopes(raw: unknown): string[] {
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
async function freshLink(deps: BrokerCallDeps, connectionId: string, key: ApiKey, scopes: readonly string[]) {
  const last = await deps.lastLink(connectionId);
  const { connectUrl } = await deps.issueConnectLink({
    connectionId,
    apiKeyId: key.id,
    returnTo: last?.returnTo ?? null,
    scopes: [...(last?.scopes ?? []), ...scopes],
  });
  return connectUrl;
}

/** A person (subject) or a connection (connection_id), never both, never a guess between them. */
function subjectOf(names: BrokerNames, key: ApiKey): SubjectRef {
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
