import type { Client } from '../../clients/client.js';
import { IDENTITY_SCOPES, formatScope, parseScope, requireSubset } from '../scopes.js';
import type { TokenService } from '../tokens.js';
import { expiresIn, type EmitGrantEvent, type Grant } from './grant.js';

export interface ClientCredentialsDeps {
  tokens: Pick<TokenService, 'issueAccessToken'>;
  emit: EmitGrantEvent;
}

/**
 * A client's non-identity scopes, parsed once per client record (the client store hands out a
 * new object whenever a client changes, so a stale entry is never consulted).
 */
const machineScopes = new WeakMap<Client, { list: string[]; all: string }>();
function machineScopesOf(client: Client): { list: string[]; all: string } {
  let entry = machineScopes.get(client);
  if (!entry) {
    const list = parseScope(client.scope).filter((s) => !IDENTITY_SCOPES.has(s));
    entry = { list, all: formatScope(list) };
    machineScopes.set(client, entry);
  }
  return entry;
}

/**
 * RFC 6749 §4.4. The client acts for itself: sub and client_id are the client id, no username,
 * no refresh token (§4.4.3), and only the client's non-identity scopes.
 */
export const clientCredentialsGrant: Grant<ClientCredentialsDeps> = {
  grantType: 'client_credentials',
  parameters: new Set(['scope']),
  async handler({ client, params, deps }) {
    const allowed = machineScopesOf(client);
    const requested = parseScope(params.scope);
    requireSubset(requested, allowed.list, 'scope not available to client_credentials');
    const scope = requested.length > 0 ? formatScope(requested) : allowed.all;
    const access = await deps.tokens.issueAccessToken({ sub: client.id, client_id: client.id, scope });
    deps.emit({
      event: 'token_issued',
      client_id: client.id,
      subject: client.id,
      details: { grant_type: 'client_credentials' },
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: expiresIn(access.exp),
      scope,
      success: true,
      expiry: access.exp,
    };
  },
};
