import { beforeAll, expect, it } from 'vitest';
import { GatehouseClient, MemoryTokenStorage, type DeviceCode, type GatehouseUser } from '@gatehouse/client';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** gatehouse/client loginWithDevice (RFC 8628) against a running Gatehouse, the person at /device. */
describeBackends('gatehouse/client loginWithDevice', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let registered: RegisteredClient;

  beforeAll(async () => {
    registered = await registerClient(t.app, {
      app_name: 'Console game',
      token_endpoint_auth_method: 'none',
      redirect_url: undefined,
      grant_types: [GRANT, 'refresh_token'],
      scope: 'openid profile email',
    });
  }, 60_000);

  /** The person on their phone: signs in, types the code shown, approves or denies. */
  async function person(code: DeviceCode, email: string, decision: 'approve' | 'deny') {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, email);
    const entry = await browser.get(code.verificationUri);
    const entryForm = readForm(entry.text, t.url);
    const consent = await browser.post(entryForm.action, { ...entryForm.fields, user_code: code.userCode });
    const form = readForm(consent.text, t.url);
    expect((await browser.post(form.action, { ...form.fields, decision })).status).toBe(200);
  }

  function newClient() {
    return new GatehouseClient({ issuer: t.url, clientId: registered.client_id, storage: new MemoryTokenStorage() });
  }

  it('shows the code, resolves with the user once the person approves, and keeps the session', async () => {
    const client = newClient();
    const codes: DeviceCode[] = [];
    const logins: GatehouseUser[] = [];
    client.on('login', (u) => logins.push(u));
    let approved: Promise<void> | undefined;
    const user = await client.loginWithDevice({
      onCode: (code) => {
        codes.push(code);
        approved = person(code, 'sofa.player@example.com', 'approve');
      },
    });
    await approved;
    expect(codes).toHaveLength(1);
    expect(codes[0]!.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(codes[0]!.verificationUri).toBe(`${t.url}/device`);
    expect(codes[0]!.verificationUriComplete).toBe(`${t.url}/device?user_code=${codes[0]!.userCode}`);
    expect(user.email).toBe('sofa.player@example.com');
    expect(logins).toEqual([user]);
    expect(await client.isLoggedIn()).toBe(true);
    expect((await client.storage.get())?.refreshToken).toEqual(expect.any(String));
    await client.refreshTokens();
  }, 60_000);

  it('rejects with login_failed when the person denies', async () => {
    const client = newClient();
    let denied: Promise<void> | undefined;
    await expect(
      client.loginWithDevice({
        onCode: (code) => {
          denied = person(code, 'no.thanks@example.com', 'deny');
        },
      }),
    ).rejects.toMatchObject({ code: 'login_failed', message: expect.stringContaining('denied') });
    await denied;
    expect(await client.isLoggedIn()).toBe(false);
  }, 60_000);

  it('stops polling when the signal aborts', async () => {
    const client = newClient();
    const controller = new AbortController();
    await expect(
      client.loginWithDevice({
        signal: controller.signal,
        onCode: () => controller.abort(new Error('cancelled by the player')),
      }),
    ).rejects.toThrow('cancelled by the player');
    expect(await client.isLoggedIn()).toBe(false);
  });
});
