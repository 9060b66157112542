import type { Client } from '../clients/client.js';
import { invalidScope } from './errors.js';
import { parseScope } from './scopes.js';

/**
 * RFC 8628 §3.1 scope: "The scope of the access request as defined by Section 3.3 of [RFC6749]"
 * (OPTIONAL). The same rules as an authorization request: only the client's registered scopes,
 * offline_access only for clients allowed refresh tokens (OIDC Core §11), and the client's
 * scopes when none is asked for.
 */
export function deviceRequestScopes(client: Client, requested: string | undefined): string[] {
  let scopes = parseScope(requested);
  const offline = client.grant_types.includes('refresh_token');
  if (!offline) scopes = scopes.filter((s) => s !== 'offline_access');
  const allowed = new Set([...client.scope.split(' '), ...(offline ? ['offline_access'] : [])]);
  const extra = scopes.filter((s) => !allowed.has(s));
  if (extra.length > 0) throw invalidScope(`scope not allowed for this client: ${extra.join(' ')}`);
  return scopes.length > 0 ? scopes : client.scope.split(' ').filter((s) => s !== 'offline_access');
}
