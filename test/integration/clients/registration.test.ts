import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { adminHeaders, registerClient } from '../../helpers/admin.js';
import { expectApiError } from '../../helpers/api-error.js';

const valid = {
  app_name: 'Shop App',
  contact_email: 'owner@shop.example',
  redirect_url: 'https://shop.example/callback',
};

describeBackends('client registration and admin API', (backend) => {
  const t = useTestApp(backend);
  const issuedSecrets: string[] = [];

  const register = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/clients/register', headers: adminHeaders, payload: payload as object });

  it('registers a confidential client, shows the secret once and stores only an argon2id hash', async () => {
    const res = await register(valid);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      success: true,
      client_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      client_id_issued_at: expect.any(Number),
      redirect_url: 'https://shop.example/callback',
      redirect_urls: ['https://shop.example/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      app_name: 'Shop App',
      scope: 'openid profile email',
      first_party: false,
      resource_server: false,
      post_logout_redirect_urls: [],
    });
    issuedSecrets.push(body.client_secret);
    const { rows } = await t.db.query<{ secret_hash: string }>('SELECT secret_hash FROM clients WHERE id = $1', [
      body.client_id,
    ]);
    expect(rows[0]!.secret_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0]!.secret_hash).not.toContain(body.client_secret);
  });

  it('registers a public client without a secret', async () => {
    const res = await register({
      ...valid,
      token_endpoint_auth_method: 'none',
      redirect_urls: ['http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb'],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.client_secret).toBeUndefined();
    expect(body.redirect_urls).toEqual([
      'https://shop.example/callback',
      'http://127.0.0.1/cb',
      'http://[::1]:8080/cb',
      'http://localhost:3000/cb',
    ]);
  });

  it.each([
    [
      { ...valid, redirect_url: 'http://shop.example/cb' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must use https (http only on 127.0.0.1, [::1] or localhost)',
    ],
    [
      { ...valid, redirect_url: 'https://shop.example/cb#frag' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must not contain a fragment',
    ],
    [
      { ...valid, redirect_url: 'https://*.shop.example/cb' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must not contain a wildcard',
    ],
    [
      { ...valid, redirect_url: '/relative' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must be an absolute URL',
    ],
    [
      { ...valid, redirect_url: 'https://user:pw@shop.example/cb' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must not contain credentials',
    ],
    [
      { ...valid, redirect_url: 'javascript:alert(1)' },
      'invalid_redirect_uri',
      'redirect_url: redirect URL must use https (http only on 127.0.0.1, [::1] or localhost)',
    ],
    [
      { ...valid, redirect_urls: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`) },
      'invalid_redirect_uri',
      'redirect_urls: Too big: expected array to have <=10 items',
    ],
    [
      { app_name: 'x', contact_email: 'a@b.example' },
      'invalid_redirect_uri',
      'redirect_urls: authorization_code clients need at least one redirect URL',
    ],
    [
      { ...valid, app_name: '' },
      'invalid_client_metadata',
      'app_name: Too small: expected string to have >=1 characters',
    ],
    [
      { ...valid, app_name: 'x'.repeat(101) },
      'invalid_client_metadata',
      'app_name: Too big: expected string to have <=100 characters',
    ],
    [{ ...valid, contact_email: 'not-an-email' }, 'invalid_client_metadata', 'contact_email: Invalid email address'],
    [
      { ...valid, grant_types: ['implicit'] },
      'invalid_client_metadata',
      expect.stringContaining('grant_types.0: Invalid option'),
    ],
    [{ ...valid, grant_types: ['password'] }, 'invalid_client_metadata', expect.stringContaining('grant_types.0')],
    [
      { ...valid, grant_types: ['refresh_token'] },
      'invalid_client_metadata',
      'grant_types: refresh_token is only issued with authorization_code or urn:ietf:params:oauth:grant-type:device_code',
    ],
    [
      { ...valid, token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
      'invalid_client_metadata',
      "token_endpoint_auth_method: a public client ('none') cannot use client_credentials",
    ],
    [
      { ...valid, token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
      expect.stringContaining('token_endpoint_auth_method'),
    ],
    [
      { ...valid, scope: 'openid "quoted"' },
      'invalid_client_metadata',
      'scope: scope must be space-separated RFC 6749 scope tokens',
    ],
    [{ ...valid, first_party: 'yes' }, 'invalid_client_metadata', expect.stringContaining('first_party')],
    [[], 'invalid_client_metadata', expect.any(String)],
  ])('refuses %j with 400 %s', async (payload, error, description) => {
    const res = await register(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, error, error_description: description });
  });

  it('accepts client_credentials-only clients without redirect URLs and custom scopes', async () => {
    const res = await register({
      app_name: 'Batch',
      contact_email: 'ops@x.example',
      grant_types: ['client_credentials'],
      scope: 'reports:read reports:read inventory',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      grant_types: ['client_credentials'],
      redirect_urls: [],
      redirect_url: null,
      scope: 'reports:read inventory',
    });
    issuedSecrets.push(res.json().client_secret);
  });

  it('accepts device-flow clients (RFC 8628) without redirect URLs, with refresh tokens, public or confidential', async () => {
    const grantTypes = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'];
    const pub = await register({
      app_name: 'TV',
      contact_email: 'tv@x.example',
      grant_types: grantTypes,
      token_endpoint_auth_method: 'none',
      scope: 'openid profile',
    });
    expect(pub.statusCode).toBe(201);
    expect(pub.json()).toMatchObject({
      grant_types: grantTypes,
      redirect_urls: [],
      token_endpoint_auth_method: 'none',
    });
    const confidential = await register({
      app_name: 'Console',
      contact_email: 'c@x.example',
      grant_types: grantTypes,
      scope: 'openid',
    });
    expect(confidential.statusCode).toBe(201);
    issuedSecrets.push(confidential.json().client_secret);
  });

  it('lists and shows clients without secrets or hashes', async () => {
    const c = await registerClient(t.app);
    issuedSecrets.push(c.client_secret!);
    const one = await t.app.inject({ method: 'GET', url: `/clients/${c.client_id}`, headers: adminHeaders });
    expect(one.statusCode).toBe(200);
    expect(one.json().client).toMatchObject({
      id: c.client_id,
      app_name: 'Test App',
      disabled: false,
      redirect_url: 'https://app.example.com/callback',
    });
    const all = await t.app.inject({ method: 'GET', url: '/clients', headers: adminHeaders });
    expect(all.json().clients.map((x: { id: string }) => x.id)).toContain(c.client_id);
    for (const res of [one, all]) {
      expect(res.body).not.toContain('argon2');
      expect(res.body).not.toContain('secret_hash');
      for (const s of issuedSecrets) expect(res.body).not.toContain(s);
    }
    expect((await t.app.inject({ method: 'GET', url: '/clients/nope', headers: adminHeaders })).statusCode).toBe(404);
  });

  it('disables a client (idempotently) and hides it from the default list', async () => {
    const c = await registerClient(t.app);
    const del = await t.app.inject({ method: 'DELETE', url: `/clients/${c.client_id}`, headers: adminHeaders });
    expect(del.json()).toEqual({ success: true, client_id: c.client_id, disabled: true });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/clients/${c.client_id}`, headers: adminHeaders })).statusCode,
    ).toBe(200);
    const active = await t.app.inject({ method: 'GET', url: '/clients', headers: adminHeaders });
    expect(active.json().clients.map((x: { id: string }) => x.id)).not.toContain(c.client_id);
    const withDisabled = await t.app.inject({
      method: 'GET',
      url: '/clients?include_disabled=true',
      headers: adminHeaders,
    });
    expect(withDisabled.json().clients.find((x: { id: string }) => x.id === c.client_id)).toMatchObject({
      disabled: true,
    });
    expect((await t.app.inject({ method: 'DELETE', url: '/clients/unknown', headers: adminHeaders })).statusCode).toBe(
      404,
    );
  });

  it('rotates a confidential secret and refuses to rotate a public client', async () => {
    const c = await registerClient(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: `/clients/${c.client_id}/rotate-secret`,
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().client_secret).not.toBe(c.client_secret);
    issuedSecrets.push(res.json().client_secret);
    const pub = await registerClient(t.app, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/clients/${pub.client_id}/rotate-secret`,
      headers: adminHeaders,
    });
    expectApiError(refused, 400, 'invalid_request', 'a public client has no secret to rotate');
  });

  it('never logs an issued secret', () => {
    expect(issuedSecrets.length).toBeGreaterThan(2);
    for (const s of issuedSecrets) expect(t.logs.text).not.toContain(s);
  });
});
