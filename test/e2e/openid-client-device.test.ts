import { expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../helpers/admin.js';
import { Browser, readForm } from '../helpers/browser.js';
import { signInWithGoogle } from '../helpers/google.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * openid-client's device flow helpers (RFC 8628) against the running server: discovery finds the
 * device authorization endpoint, initiateDeviceAuthorization gets the codes, and
 * pollDeviceAuthorizationGrant (which honours interval and authorization_pending) completes once
 * the person approves at /device.
 */
describeBackends('openid-client device flow against Gatehouse', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });

  /** The person: signs in, opens verification_uri_complete, confirms the code, approves. */
  async function approveAt(verificationUriComplete: string) {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, 'device.person@example.com');
    const entry = await browser.get(verificationUriComplete);
    const code = new URL(verificationUriComplete).searchParams.get('user_code')!;
    const entryForm = readForm(entry.text, t.url);
    const consent = await browser.post(entryForm.action, { ...entryForm.fields, user_code: code });
    const form = readForm(consent.text, t.url);
    const done = await browser.post(form.action, { ...form.fields, decision: 'approve' });
    expect(done.status).toBe(200);
  }

  async function deviceFlow(registered: RegisteredClient, auth?: oidc.ClientAuth) {
    const config = await oidc.discovery(new URL(t.url), registered.client_id, registered.client_secret, auth, {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${t.url}/oauth/device_authorization`);
    const response = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    expect(response.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const [tokens] = await Promise.all([
      oidc.pollDeviceAuthorizationGrant(config, response),
      approveAt(response.verification_uri_complete!),
    ]);
    return tokens;
  }

  it('a public client (CLI) completes and receives an ID token and a refresh token', async () => {
    const cli = await registerClient(t.app, {
      app_name: 'CLI',
      redirect_url: undefined,
      token_endpoint_auth_method: 'none',
      grant_types: [GRANT, 'refresh_token'],
      scope: 'openid profile',
    });
    const tokens = await deviceFlow(cli, oidc.None());
    expect(tokens.claims()!.aud).toBe(cli.client_id);
    expect(tokens.scope).toBe('openid profile offline_access');
    expect(tokens.refresh_token).toEqual(expect.any(String));
  }, 60_000);

  it('a confidential client (console) completes with client_secret_basic', async () => {
    const consoleClient = await registerClient(t.app, {
      app_name: 'Console',
      redirect_url: undefined,
      grant_types: [GRANT],
      scope: 'openid profile',
    });
    const tokens = await deviceFlow(consoleClient);
    expect(tokens.claims()!.sub).toEqual(expect.any(String));
    expect(tokens.refresh_token).toBeUndefined();
    // offline_access is dropped for a client not allowed refresh tokens.
    expect(tokens.scope).toBe('openid profile');
  }, 60_000);
});
