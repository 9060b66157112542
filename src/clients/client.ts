/** RFC 8628 §3.4: the device authorization grant's grant_type. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8693 §2.1: the token exchange grant's grant_type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  DEVICE_CODE_GRANT_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof AUTH_METHODS)[number];

/** OIDC Discovery §3: RS256 MUST be supported; listed first. */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type IdTokenAlgorithm = (typeof ID_TOKEN_ALGORITHMS)[number];

/** A registered OAuth client as every OAuth endpoint sees it. */
export interface Client {
  id: string;
  app_name: string;
  contact_email: string;
  redirect_uris: string[];
  grant_types: GrantType[];
  /** Space-separated scopes the client may ask for. */
  scope: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  first_party: boolean;
  resource_server: boolean;
  /** OIDC Registration §2: the ID token algorithm; null means security.id_token_algorithm. */
  id_token_signed_response_alg: IdTokenAlgorithm | null;
  /** RP-Initiated Logout §3.1: where /oauth/logout may send the browser afterwards. */
  post_logout_redirect_uris: string[];
  /** argon2id hash of the secret; null for public clients. Never leaves the server. */
  secret_hash: string | null;
  disabled: boolean;
  /**
   * Bumped on every change (update, disable, new secret) and shown by the admin API. Cached
   * copies are kept coherent by invalidation messages (ClientStore), not by comparing it.
   */
  version: number;
  created_at: string;
  updated_at: string;
}

export function isPublicClient(client: Client): boolean {
  return client.token_endpoint_auth_method === 'none';
}

/** What admin endpoints may show: everything but the secret hash. */
export function publicView(client: Client) {
  const { secret_hash: _hash, ...rest } = client;
  return { ...rest, redirect_url: client.redirect_uris[0] ?? null };
}
