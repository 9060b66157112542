import type { Client } from '../clients/client.js';
import type { ClientStore } from '../clients/client-store.js';
import type { Config } from '../config/schema.js';
import type { ClientsRepository, NewClient } from '../repositories/clients.js';

/**
 * The first-party client that /api/login tokens belong to (product rule: "`/api/login` tokens belong to
 * the first-party client `google.login_client_id`, created at start").
 *
 * Public ('none'): its tokens go to desktop, mobile and CLI apps, which cannot keep a client
 * secret, and the refresh token is the credential that matters. No redirect URIs, so
 * /oauth/authorize can never issue a code for it (redirect URIs are matched exactly, and there
 * is nothing to match); authorization_code is listed only because refresh tokens come with it
 * (product rule "Scopes").
 */
export function loginClientDefinition(config: Config): NewClient {
  return {
    id: config.google.login_client_id,
    app_name: 'Gatehouse sign-in',
    contact_email: 'gatehouse@localhost',
    redirect_uris: [],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email',
    token_endpoint_auth_method: 'none',
    first_party: true,
    resource_server: false,
    id_token_signed_response_alg: null,
    post_logout_redirect_uris: [],
    secret_hash: null,
  };
}

/**
 * Creates the login client when missing; an existing row is left as the admin left it (a
 * disabled login client turns /api/login off). Safe when several instances start at once.
 */
export async function ensureLoginClient(
  clients: ClientsRepository,
  store: ClientStore,
  config: Config,
): Promise<{ created: boolean; client: Client | null }> {
  const created = await clients.insertIfAbsent(loginClientDefinition(config));
  if (created) {
    await store.changed(created);
    return { created: true, client: created };
  }
  return { created: false, client: await clients.findById(config.google.login_client_id) };
}
