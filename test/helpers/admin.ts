import type { App } from '../../src/app.js';
import { TEST_ADMIN_KEY } from './app.js';

export const adminHeaders = { 'x-admin-key': TEST_ADMIN_KEY };

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  [key: string]: unknown;
}

/** Registers a client through the admin API and returns the one-time response. */
export async function registerClient(app: App, body: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const res = await app.inject({
    method: 'POST',
    url: '/clients/register',
    headers: adminHeaders,
    payload: {
      app_name: 'Test App',
      contact_email: 'dev@example.com',
      redirect_url: 'https://app.example.com/callback',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      ...body,
    },
  });
  if (res.statusCode !== 201) throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createApiKey(
  app: App,
  body: Record<string, unknown> = {},
): Promise<{ id: string; api_key: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/internal/api-keys',
    headers: adminHeaders,
    payload: { name: 'svc', ...body },
  });
  if (res.statusCode !== 201) throw new Error(`API key creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** Registers a resource server: a client_credentials client that may introspect tokens. */
export function registerResourceServer(app: App): Promise<RegisteredClient> {
  return registerClient(app, { resource_server: true, grant_types: ['client_credentials'], redirect_url: undefined });
}
