import { beforeAll, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { mintCode, postAs } from '../../helpers/oauth.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { seedCredential, type SeededCredential } from '../../helpers/vault.js';
import { expectApiError } from '../../helpers/api-error.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'];

describeBackends('token exchange (RFC 8693) for Google tokens', (backend) => {
  const t = useTestApp(backend, { google: true });
  let person: SeededCredential;
  let app: RegisteredClient;
  let other: RegisteredClient;
  let firstParty: RegisteredClient;
  let withoutGrant: RegisteredClient;
  let userToken: string;

  beforeAll(async () => {
    person = await seedCredential(t.app, t.google, `exchange.${backend.name}@example.com`);
    app = await registerClient(t.app, {
      grant_types: [...GRANTS, TOKEN_EXCHANGE],
      scope: 'openid profile email reports',
    });
    other = await registerClient(t.app, { grant_types: [...GRANTS, TOKEN_EXCHANGE] });
    firstParty = await registerClient(t.app, { grant_types: [...GRANTS, TOKEN_EXCHANGE], first_party: true });
    withoutGrant = await registerClient(t.app, { grant_types: GRANTS });
    userToken = await userTokenFor(app);
  }, 60_000);

  /** A person's Gatehouse access token issued to `client` through the code grant. */
  async function userTokenFor(client: RegisteredClient): Promise<string> {
    const code = await mintCode(t.db, { clientId: client.client_id, userId: person.user.id });
    const res = await postAs(t.app, client, '/oauth/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://app.example.com/callback',
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().access_token;
  }

  const exchange = (client: RegisteredClient, params: Record<string, string | undefined> = {}) =>
    postAs(t.app, client, '/oauth/token', {
      grant_type: TOKEN_EXCHANGE,
      subject_token: userToken,
      subject_token_type: ACCESS_TOKEN,
      resource: 'https://www.googleapis.com/',
      ...params,
    });

  it("exchanges a person's token for their Google access token (RFC 8693 §2.2.1), audited", async () => {
    const res = await exchange(app, { requested_token_type: ACCESS_TOKEN });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const body = res.json();
    // §2.2.1: access_token, issued_token_type REQUIRED; token_type REQUIRED; expires_in RECOMMENDED.
    expect(body).toMatchObject({
      access_token: person.accessToken,
      issued_token_type: ACCESS_TOKEN,
      token_type: 'Bearer',
      success: true,
    });
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.scope).toContain('openid');
    expect(body).not.toHaveProperty('refresh_token');

    const byAudience = await exchange(app, { resource: undefined, audience: 'google' });
    expect(byAudience.statusCode, byAudience.body).toBe(200);

    const events = (await auditEvents(t)).filter((e) => e.event === 'token_exchanged');
    expect(events[0]).toMatchObject({ client_id: app.client_id, subject: person.user.id });
    expect(JSON.stringify(events)).not.toContain(person.accessToken);
  });

  it('a first-party client may exchange a token issued to another client', async () => {
    const res = await exchange(firstParty);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().access_token).toBe(person.accessToken);
  });

  it('refuses a token issued to another client (§2.2.2 invalid_request)', async () => {
    const res = await exchange(other);
    expectApiError(res, 400, 'invalid_request', 'subject_token was issued to another client');
  });

  it('refuses a client_credentials token: it names no person', async () => {
    const cc = await postAs(t.app, app, '/oauth/token', { grant_type: 'client_credentials' });
    expect(cc.statusCode, cc.body).toBe(200);
    const res = await exchange(app, { subject_token: cc.json().access_token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      success: false,
      error: 'invalid_request',
      error_description: expect.stringContaining('client token'),
    });
  });

  it('registration refuses the grant to a public client', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/clients/register',
      headers: { 'x-admin-key': TEST_ADMIN_KEY },
      payload: {
        app_name: 'Public',
        contact_email: 'dev@example.com',
        redirect_url: 'https://app.example.com/callback',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', TOKEN_EXCHANGE],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      success: false,
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining('token exchange'),
    });
  });

  it('refuses a client not registered with the grant (unauthorized_client), and discovery lists the grant', async () => {
    const res = await exchange(withoutGrant);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: 'unauthorized_client' });
    const meta = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    expect(meta.json().grant_types_supported).toContain(TOKEN_EXCHANGE);
  });

  it("answers bad requests in the RFC's terms, never a 500", async () => {
    const cases: [Record<string, string | undefined>, number, string][] = [
      [{ subject_token: undefined }, 400, 'invalid_request'],
      [{ subject_token_type: undefined }, 400, 'invalid_request'],
      [{ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 400, 'invalid_request'],
      [{ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 400, 'invalid_request'],
      [{ subject_token: 'not-a-token' }, 400, 'invalid_request'],
      [{ actor_token: userToken, actor_token_type: ACCESS_TOKEN }, 400, 'invalid_request'],
      // §2.2.2: "the invalid_target error code SHOULD be used"
      [{ resource: 'https://api.example.com/' }, 400, 'invalid_target'],
      [{ resource: undefined }, 400, 'invalid_target'],
      [{ scope: 'https://www.googleapis.com/auth/drive' }, 403, 'insufficient_scope'],
    ];
    for (const [params, status, error] of cases) {
      const res = await exchange(app, params);
      expect(res.statusCode, JSON.stringify(params)).toBe(status);
      expect(res.json()).toMatchObject({ success: false, error, error_description: expect.any(String) });
    }
  });

  it('refuses a revoked subject token', async () => {
    const token = await userTokenFor(app);
    const revoke = await postAs(t.app, app, '/oauth/revoke', { token, token_type_hint: 'access_token' });
    expect(revoke.statusCode).toBe(200);
    const res = await exchange(app, { subject_token: token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', error_description: 'subject_token has been revoked' });
  });

  it("follows the broker's rules: Google's invalid_grant is 409 reauth_required", async () => {
    const other = await seedCredential(t.app, t.google, `exchange.gone.${backend.name}@example.com`);
    await t.app.repos.googleCredentials.markReauthRequired(other.credential.id);
    const code = await mintCode(t.db, { clientId: app.client_id, userId: other.user.id });
    const token = (
      await postAs(t.app, app, '/oauth/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://app.example.com/callback',
      })
    ).json().access_token;
    const res = await exchange(app, { subject_token: token });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ success: false, error: 'reauth_required' });
  });
});
