import type { Client } from '../clients/client.js';
import type { AuthorizationInteraction } from '../repositories/authorization-interactions.js';
import type { Session } from '../repositories/sessions.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { parseScope } from './scopes.js';

/**
 * Why the person must authenticate (again) before this request can go on, or null when the
 * session will do (OIDC Core §3.1.2.1): no session; prompt=login or select_account; a session
 * older than max_age seconds (max_age=0 is always too old); an id_token_hint naming someone else.
 */
export function needsAuthentication(
  session: Pick<Session, 'authTime' | 'userId'> | null,
  request: Pick<AuthorizationRequest, 'prompt' | 'maxAge'>,
  hintedSubject: string | undefined,
  now = Date.now(),
): string | null {
  if (!session) return 'the person is not signed in';
  if (request.prompt.has('login') || request.prompt.has('select_account')) return 'the client asked for a new sign-in';
  if (
    request.maxAge !== undefined &&
    (request.maxAge === 0 || now - session.authTime.getTime() > request.maxAge * 1000)
  ) {
    return 'the sign-in is older than max_age';
  }
  if (hintedSubject !== undefined && hintedSubject !== session.userId) return 'id_token_hint names another person';
  return null;
}

/** The authorization request an interaction holds, for a client that is still registered. */
export function interactionToRequest(client: Client, i: AuthorizationInteraction): AuthorizationRequest {
  return {
    client,
    redirectUri: i.redirectUri,
    redirectUriSent: i.redirectUriSent,
    scopes: parseScope(i.scope),
    state: i.state ?? undefined,
    nonce: i.nonce ?? undefined,
    codeChallenge: i.codeChallenge ?? undefined,
    prompt: new Set(i.prompt.split(' ').filter(Boolean)),
    maxAge: i.maxAge ?? undefined,
    idTokenHint: undefined,
    loginHint: undefined,
  };
}
