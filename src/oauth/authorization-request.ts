import type { Client } from '../clients/client.js';
import type { ClientStore } from '../clients/client-store.js';
import { isValidS256Challenge } from './pkce.js';
import { matchesRegisteredRedirect } from './redirect-uri.js';
import { parseScope } from './scopes.js';
import { ApiError } from './errors.js';

export type Query = Partial<Record<string, string>>;

/** The client and the redirect URI once both are trusted: from here on, errors may redirect. */
export interface TrustedTarget {
  client: Client;
  redirectUri: string;
  /** The request carried redirect_uri (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriSent: boolean;
}

export interface AuthorizationRequest extends TrustedTarget {
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  prompt: Set<string>;
  /** OIDC Core §3.1.2.1 max_age in seconds. */
  maxAge: number | undefined;
  idTokenHint: string | undefined;
  loginHint: string | undefined;
}

/** An error that must be shown on our own page: the redirect target is not trusted (RFC 6749 §4.1.2.1). */
export class UntrustedRedirectError extends Error {
  override name = 'UntrustedRedirectError';
}

/** An error to send back to the client's redirect_uri with error, state and iss (RFC 9207). */
export class AuthorizationRedirectError extends ApiError {
  constructor(error: string, description: string) {
    super(error, 302, description);
  }
}

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);
const MAX_STATE = 1024;

/** Step 1 of the order in docs/oauth-server.md: the client and redirect_uri, before anything else. */
export async function resolveTarget(store: ClientStore, query: Query): Promise<TrustedTarget> {
  const clientId = query.client_id;
  if (!clientId) throw new UntrustedRedirectError('The request has no client_id.');
  const client = await store.findById(clientId);
  if (!client || client.disabled)
    throw new UntrustedRedirectError('This application is not registered, or has been disabled.');
  const requested = query.redirect_uri;
  if (requested === undefined) {
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID request (scope has openid).
    // RFC 6749 §3.1.2.3: otherwise, only a single registered URI is unambiguous.
    const openid = (query.scope ?? '').split(' ').includes('openid');
    if (openid || client.redirect_uris.length !== 1)
      throw new UntrustedRedirectError('The request has no redirect_uri.');
    return { client, redirectUri: client.redirect_uris[0]!, redirectUriSent: false };
  }
  if (!matchesRegisteredRedirect(client.redirect_uris, requested)) {
    throw new UntrustedRedirectError('The redirect_uri does not match any address registered for this application.');
  }
  return { client, redirectUri: requested, redirectUriSent: true };
}

/** Step 3: every other parameter; failures go back to the client as error redirects. */
export function validateAuthorizationParams(target: TrustedTarget, query: Query): AuthorizationRequest {
  const { client } = target;
  const fail = (error: string, description: string): never => {
    throw new AuthorizationRedirectError(error, description);
  };
  if (query.state !== undefined && query.state.length > MAX_STATE) fail('invalid_request', 'state is too long');
  // OIDC Core §6: an OP that does not process request objects answers these errors instead of
  // ignoring the parameter (state and nonce inside one would otherwise be lost silently).
  if (query.request !== undefined) fail('request_not_supported', 'request objects are not supported');
  if (query.request_uri !== undefined) fail('request_uri_not_supported', 'request_uri is not supported');
  if (query.response_type !== 'code') {
    fail(query.response_type ? 'unsupported_response_type' : 'invalid_request', 'response_type must be code');
  }
  if (query.response_mode !== undefined && query.response_mode !== 'query')
    fail('invalid_request', 'only response_mode=query is supported');
  if (!client.grant_types.includes('authorization_code'))
    fail('unauthorized_client', 'this client may not use the authorization code flow');

  let scopes: string[];
  try {
    scopes = parseScope(query.scope);
  } catch {
    return fail('invalid_scope', 'scope is malformed');
  }
  // offline_access (OIDC Core §11) is granted, and kept in the granted scope, for clients allowed
  // refresh tokens; for others it is dropped (refresh tokens follow the client's grant types).
  const offline = client.grant_types.includes('refresh_token');
  if (!offline) scopes = scopes.filter((s) => s !== 'offline_access');
  const allowed = new Set([...client.scope.split(' '), ...(offline ? ['offline_access'] : [])]);
  const extra = scopes.filter((s) => !allowed.has(s));
  if (extra.length > 0) fail('invalid_scope', `scope not allowed for this client: ${extra.join(' ')}`);
  if (scopes.length === 0) scopes = client.scope.split(' ').filter((s) => s !== 'offline_access');

  const challenge = query.code_challenge;
  const method = query.code_challenge_method;
  if (challenge !== undefined || method !== undefined) {
    // Product rule: S256 only; RFC 7636 §4.3 defaults a missing method to plain, which we refuse too.
    if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256');
    if (!challenge || !isValidS256Challenge(challenge))
      fail('invalid_request', 'code_challenge must be 43 base64url characters');
  } else if (client.token_endpoint_auth_method === 'none') {
    fail('invalid_request', 'PKCE (code_challenge with S256) is required for public clients');
  }
  if (query.nonce !== undefined && query.nonce.length > 512) fail('invalid_request', 'nonce is too long');

  const prompt = new Set((query.prompt ?? '').split(' ').filter(Boolean));
  for (const p of prompt) if (!PROMPTS.has(p)) fail('invalid_request', `unsupported prompt value: ${p}`);
  if (prompt.has('none') && prompt.size > 1)
    fail('invalid_request', 'prompt=none cannot be combined with other values');

  let maxAge: number | undefined;
  if (query.max_age !== undefined) {
    if (!/^\d{1,9}$/.test(query.max_age)) fail('invalid_request', 'max_age must be a non-negative integer');
    maxAge = Number(query.max_age);
  }
  if (query.login_hint !== undefined && query.login_hint.length > 320)
    fail('invalid_request', 'login_hint is too long');

  return {
    ...target,
    scopes,
    state: query.state,
    nonce: query.nonce,
    codeChallenge: challenge,
    prompt,
    maxAge,
    idTokenHint: query.id_token_hint,
    loginHint: query.login_hint,
  };
}

/** The client's redirect with code or error, state and iss (RFC 6749 §4.1.2, RFC 9207 §2). */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>, issuer: string): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set('iss', issuer);
  return url.toString();
}
