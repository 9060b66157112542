import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { registerRelyingParty, type RelyingParty } from '../../helpers/relying-party.js';

const REDIRECT = 'https://app.example.com/callback';

/**
 * Policy "consent is what was shown": the consent page's decision names a server-side
 * interaction; the form carries only its id and the CSRF token, and the grant is exactly what
 * the page displayed, whatever else is posted with it.
 */
describeBackends('consent decision over a server-side interaction', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let client: RegisteredClient;
  let other: RegisteredClient;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ client, rp } = await registerRelyingParty(t, REDIRECT, { scope: 'openid profile email reports' }));
    other = await registerClient(t.app, {
      redirect_urls: ['https://other.example.com/cb'],
      grant_types: ['authorization_code'],
    });
  }, 60_000);

  async function consentPage(scope = 'openid') {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, `c.${Math.random().toString(36).slice(2)}@example.com`);
    expect(steps.callback.status).toBe(302);
    const page = await browser.get(rp.authorizeUrl({ scope, state: 'st', nonce: 'n-1' }));
    expect(page.status).toBe(200);
    return { browser, page, form: readForm(page.text, t.url) };
  }

  it('the form carries only the interaction id and the CSRF token, and posts to the decision endpoint', async () => {
    const { form } = await consentPage();
    expect(form.action).toBe(`${t.url}/oauth/authorize/decision`);
    expect(Object.keys(form.fields).sort()).toEqual(['csrf_token', 'interaction']);
  });

  it('a tampered decision grants exactly what was shown: widened scope, another client, another redirect are ignored', async () => {
    const { browser, form } = await consentPage('openid');
    const res = await browser.post(form.action, {
      ...form.fields,
      decision: 'approve',
      scope: 'openid profile email reports',
      client_id: other.client_id,
      redirect_uri: 'https://other.example.com/cb',
      state: 'forged',
      nonce: 'forged',
    });
    expect(res.status).toBe(303);
    const callback = new URL(res.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('st');
    const tokens = await rp.tokens(callback.searchParams.get('code')!);
    expect(tokens.scope).toBe('openid');
    expect((await rp.verifyIdToken(tokens.id_token!)).claims.nonce).toBe('n-1');
    // What is remembered is what was shown, too.
    const { rows } = await t.db.query<{ scope: string }>('SELECT scope FROM consents WHERE client_id = $1', [
      client.client_id,
    ]);
    expect(rows.map((r) => r.scope)).not.toContain('openid profile email reports');
  });

  it('an interaction is single use', async () => {
    const { browser, form } = await consentPage();
    expect((await browser.post(form.action, { ...form.fields, decision: 'approve' })).status).toBe(303);
    const again = await browser.post(form.action, { ...form.fields, decision: 'approve' });
    expect(again.status).toBe(400);
    expect(again.location).toBeUndefined();
  });

  it('another person cannot decide on an interaction shown to someone else, even with their own CSRF token', async () => {
    const victim = await consentPage();
    const attacker = await consentPage();
    const res = await attacker.browser.post(attacker.form.action, {
      interaction: victim.form.fields.interaction!,
      csrf_token: attacker.form.fields.csrf_token!,
      decision: 'approve',
    });
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    // The victim's own decision still works: nothing was consumed.
    expect((await victim.browser.post(victim.form.action, { ...victim.form.fields, decision: 'approve' })).status).toBe(
      303,
    );
  });

  it('an expired interaction is refused', async () => {
    const { browser, form } = await consentPage();
    await t.db.query(
      `UPDATE authorization_interactions SET created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute'`,
    );
    const res = await browser.post(form.action, { ...form.fields, decision: 'approve' });
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
  });

  it('a consent form posted to /oauth/authorize the old way is an authorization request: the page again, never a code', async () => {
    const { browser } = await consentPage();
    const res = await browser.post(`${t.url}/oauth/authorize`, {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      scope: 'openid profile email reports',
      decision: 'approve',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Use the &quot;reports&quot; permission');
  });

  it('deny answers access_denied with state and iss', async () => {
    const { browser, form } = await consentPage();
    const res = await browser.post(form.action, { ...form.fields, decision: 'deny' });
    const url = new URL(res.location!);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('st');
    expect(url.searchParams.get('iss')).toBe(t.url);
  });
});
