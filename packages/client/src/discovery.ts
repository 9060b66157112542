import * as oauth from 'oauth4webapi';

/** Options every oauth4webapi call of one client shares: its fetch, and http for loopback. */
export interface HttpOptions {
  [oauth.customFetch]: (url: string, init: RequestInit) => Promise<Response>;
  [oauth.allowInsecureRequests]?: boolean;
}

export interface ServerContext {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  http: HttpOptions;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The issuer as a URL. https only (RFC 8414 §2: the issuer "MUST use the https scheme"), except
 * for a server on this machine, where there is no network to protect and development runs on
 * plain http.
 */
export function parseIssuer(issuer: string): URL {
  const url = new URL(issuer);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new TypeError(`issuer must be an https URL (http is allowed only on loopback): ${issuer}`);
}

export function httpOptions(issuer: URL, fetchImpl: typeof fetch): HttpOptions {
  return {
    [oauth.customFetch]: (url, init) => fetchImpl(url, init),
    ...(issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/**
 * RFC 8414 §3: /.well-known/oauth-authorization-server. oauth4webapi checks that the document's
 * issuer is exactly ours (§3.3), so a spoofed document cannot redirect the tokens elsewhere.
 */
export async function discover(issuer: URL, clientId: string, http: HttpOptions): Promise<ServerContext> {
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http });
  const as = await oauth.processDiscoveryResponse(issuer, response);
  return { as, client: { client_id: clientId }, http };
}
