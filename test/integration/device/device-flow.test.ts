import { beforeAll, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/**
 * RFC 8628 end to end over HTTP: the device authorization endpoint (§3.1–3.2), the person at
 * /device (§3.3), and the token endpoint's answers while polling (§3.4–3.5).
 */
describeBackends('device authorization grant (RFC 8628)', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, env: { LOG_LEVEL: 'warn' } });
  let tv: RegisteredClient;
  let cli: RegisteredClient;
  let noDevice: RegisteredClient;

  beforeAll(async () => {
    tv = await registerClient(t.app, {
      app_name: 'Living Room TV',
      redirect_url: undefined,
      grant_types: [GRANT, 'refresh_token'],
      scope: 'openid profile email',
    });
    cli = await registerClient(t.app, {
      app_name: 'Gatehouse CLI',
      redirect_url: undefined,
      grant_types: [GRANT],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile',
    });
    noDevice = await registerClient(t.app, {
      grant_types: ['client_credentials'],
      redirect_url: undefined,
      scope: 'reports',
    });
  }, 60_000);

  function post(url: string, params: Record<string, string>, client?: RegisteredClient) {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (client?.client_secret) headers.authorization = basicAuth(client.client_id, client.client_secret);
    else if (client) params = { client_id: client.client_id, ...params };
    return fetch(`${t.url}${url}`, { method: 'POST', headers, body: new URLSearchParams(params) });
  }

  async function authorize(client: RegisteredClient, scope?: string): Promise<DeviceAuthorization> {
    const res = await post('/oauth/device_authorization', scope ? { scope } : {}, client);
    expect(res.status).toBe(200);
    return (await res.json()) as DeviceAuthorization;
  }

  function poll(client: RegisteredClient, deviceCode: string) {
    return post('/oauth/token', { grant_type: GRANT, device_code: deviceCode }, client);
  }

  /** Lets the next poll come after the interval without sleeping in the test. */
  async function intervalElapsed(deviceCode: string) {
    await t.db.query(
      `UPDATE device_authorizations SET last_polled_at = now() - interval '1 minute' WHERE device_code_hash = $1`,
      [sha256Hex(deviceCode)],
    );
  }

  async function signedIn(email = `d.${Math.random().toString(36).slice(2)}@example.com`) {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, email);
    expect(steps.callback.status).toBe(302);
    return browser;
  }

  /** The person opens /device, types the code and reaches the consent page. */
  async function enterCode(browser: Browser, typed: string) {
    const page = await browser.get(`${t.url}/device`);
    expect(page.status).toBe(200);
    const entry = readForm(page.text, t.url);
    return browser.post(entry.action, { ...entry.fields, user_code: typed });
  }

  async function decide(browser: Browser, typed: string, decision: 'approve' | 'deny') {
    const consent = await enterCode(browser, typed);
    expect(consent.status, consent.text).toBe(200);
    const form = readForm(consent.text, t.url);
    return browser.post(form.action, { ...form.fields, decision });
  }

  async function expectError(res: Response, status: number, error: string) {
    const body = (await res.json()) as Record<string, unknown>;
    expect({ status: res.status, error: body.error, success: body.success }).toEqual({ status, error, success: false });
    expect(typeof body.error_description).toBe('string');
  }

  /** The HTML security headers every Gatehouse page carries, and no caching. */
  function expectPageHeaders(headers: Headers) {
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headers.get('cache-control')).toContain('no-store');
  }

  it('discovery lists the device authorization endpoint and grant type (RFC 8628 §4)', async () => {
    const meta = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.device_authorization_endpoint).toBe(`${t.url}/oauth/device_authorization`);
    expect(meta.grant_types_supported).toContain(GRANT);
  });

  it('answers a confidential client with the RFC 8628 §3.2 response; codes are stored hashed', async () => {
    const a = await authorize(tv, 'openid profile');
    expect(a.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(a.device_code.length).toBeGreaterThanOrEqual(40);
    expect(a.verification_uri).toBe(`${t.url}/device`);
    expect(a.verification_uri_complete).toBe(`${t.url}/device?user_code=${a.user_code}`);
    expect(a.expires_in).toBe(600);
    expect(a.interval).toBe(5);
    const { rows } = await t.db.query<Record<string, unknown>>(
      'SELECT * FROM device_authorizations WHERE device_code_hash = $1',
      [sha256Hex(a.device_code)],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(a.device_code);
    expect(JSON.stringify(rows)).not.toContain(a.user_code.replace('-', ''));
    expect(rows[0]!.scope).toBe('openid profile');
  });

  it('authenticates clients as the token endpoint does (RFC 8628 §3.1, RFC 6749 §3.2.1)', async () => {
    // A public client names itself with client_id.
    expect((await post('/oauth/device_authorization', { client_id: cli.client_id })).status).toBe(200);
    // A confidential client without its secret, or with a wrong one, is refused.
    await expectError(await post('/oauth/device_authorization', { client_id: tv.client_id }), 401, 'invalid_client');
    const wrong = await fetch(`${t.url}/oauth/device_authorization`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(tv.client_id, 'wrong-secret'),
      },
      body: '',
    });
    await expectError(wrong, 401, 'invalid_client');
    // RFC 6749 §5.2 invalid_client: "no client authentication included".
    await expectError(await post('/oauth/device_authorization', {}), 401, 'invalid_client');
    // A client not registered for the grant; a scope it may not ask for.
    await expectError(await post('/oauth/device_authorization', {}, noDevice), 400, 'unauthorized_client');
    await expectError(await post('/oauth/device_authorization', { scope: 'openid reports' }, tv), 400, 'invalid_scope');
    // Form bodies only.
    const json = await fetch(`${t.url}/oauth/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: cli.client_id }),
    });
    expect(json.status).toBe(415);
  });

  it('authorization_pending, then slow_down adding 5 s per too-fast poll (RFC 8628 §3.5)', async () => {
    const a = await authorize(tv);
    await expectError(await poll(tv, a.device_code), 400, 'authorization_pending');
    await expectError(await poll(tv, a.device_code), 400, 'slow_down');
    await expectError(await poll(tv, a.device_code), 400, 'slow_down');
    const { rows } = await t.db.query<{ interval_seconds: number }>(
      'SELECT interval_seconds FROM device_authorizations WHERE device_code_hash = $1',
      [sha256Hex(a.device_code)],
    );
    expect(rows[0]!.interval_seconds).toBe(15);
    await intervalElapsed(a.device_code);
    await expectError(await poll(tv, a.device_code), 400, 'authorization_pending');
  });

  it('slow_down holds "for this and all subsequent requests": a poll after the old interval is still too fast', async () => {
    const a = await authorize(tv);
    await expectError(await poll(tv, a.device_code), 400, 'authorization_pending');
    await expectError(await poll(tv, a.device_code), 400, 'slow_down');
    // The interval is now 10 s: a poll 7 s after the last one (past the original 5 s) is early.
    const lastPollAgo = (seconds: number) =>
      t.db.query(
        `UPDATE device_authorizations SET last_polled_at = now() - make_interval(secs => $2) WHERE device_code_hash = $1`,
        [sha256Hex(a.device_code), seconds],
      );
    await lastPollAgo(7);
    await expectError(await poll(tv, a.device_code), 400, 'slow_down');
    // Now 15 s: 11 s is early too (and raises it to 20 s); 21 s is not.
    await lastPollAgo(11);
    await expectError(await poll(tv, a.device_code), 400, 'slow_down');
    await lastPollAgo(21);
    await expectError(await poll(tv, a.device_code), 400, 'authorization_pending');
  });

  it('approved at /device (dash- and case-insensitive): tokens with refresh and ID token, exactly once', async () => {
    const a = await authorize(tv, 'openid profile');
    const browser = await signedIn();
    const typed = a.user_code.replace('-', '').toLowerCase();
    const done = await decide(browser, typed, 'approve');
    expect(done.status).toBe(200);
    expect(done.text).toContain('Device connected');
    const res = await poll(tv, a.device_code);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const body = (await res.json()) as Record<string, string | number | boolean>;
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile', success: true });
    expect(typeof body.refresh_token).toBe('string');
    expect(decodeJwt(String(body.id_token)).aud).toBe(tv.client_id);
    await intervalElapsed(a.device_code);
    await expectError(await poll(tv, a.device_code), 400, 'invalid_grant');
    // The refresh token works like any other.
    const refreshed = await post(
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: String(body.refresh_token) },
      tv,
    );
    expect(refreshed.status).toBe(200);
  });

  it('a public client gets tokens without a refresh token when it is not allowed one', async () => {
    const a = await authorize(cli);
    await decide(await signedIn(), a.user_code, 'approve');
    const res = await poll(cli, a.device_code);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeUndefined();
    expect(body.scope).toBe('openid profile');
  });

  it('concurrent polls after approval: exactly one gets tokens', async () => {
    const a = await authorize(tv);
    await decide(await signedIn(), a.user_code, 'approve');
    const answers = await Promise.all(Array.from({ length: 8 }, () => poll(tv, a.device_code)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 200)) await expectError(r, 400, 'invalid_grant');
    const { rows } = await t.db.query<{ n: string }>(
      'SELECT count(*) AS n FROM token_families WHERE client_id = $1 AND user_id = (SELECT user_id FROM device_authorizations WHERE device_code_hash = $2)',
      [tv.client_id, sha256Hex(a.device_code)],
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('denied at /device: access_denied (RFC 8628 §3.5)', async () => {
    const a = await authorize(tv);
    const done = await decide(await signedIn(), a.user_code, 'deny');
    expect(done.status).toBe(200);
    expect(done.text).toContain('Request denied');
    await expectError(await poll(tv, a.device_code), 400, 'access_denied');
  });

  it('expired: expired_token at the token endpoint and an expired page at /device', async () => {
    const a = await authorize(tv);
    await t.db.query(
      `UPDATE device_authorizations SET expires_at = now() - interval '1 second' WHERE device_code_hash = $1`,
      [sha256Hex(a.device_code)],
    );
    await expectError(await poll(tv, a.device_code), 400, 'expired_token');
    const page = await enterCode(await signedIn(), a.user_code);
    expect(page.status).toBe(400);
    expect(page.text).toContain('This code has expired');
  });

  it('a device code of another client, or an unknown one, is invalid_grant', async () => {
    const a = await authorize(tv);
    await expectError(await poll(cli, a.device_code), 400, 'invalid_grant');
    await expectError(await poll(tv, 'not-a-device-code'), 400, 'invalid_grant');
    await expectError(await post('/oauth/token', { grant_type: GRANT }, tv), 400, 'invalid_request');
    // A client not registered for the grant may not poll at all.
    await expectError(
      await post('/oauth/token', { grant_type: GRANT, device_code: a.device_code }, noDevice),
      400,
      'unauthorized_client',
    );
  });

  it('a used code shows a clear page; the decision form needs the session CSRF token', async () => {
    const a = await authorize(tv);
    const browser = await signedIn();
    const consent = await enterCode(browser, a.user_code);
    const form = readForm(consent.text, t.url);
    expect(form.action).toBe(`${t.url}/device/decision`);
    expect(Object.keys(form.fields).sort()).toEqual(['csrf_token', 'user_code']);
    const forged = await browser.post(form.action, { ...form.fields, csrf_token: 'forged', decision: 'approve' });
    expect(forged.status).toBe(403);
    expect((await browser.post(form.action, { ...form.fields, decision: 'approve' })).status).toBe(200);
    const again = await browser.post(form.action, { ...form.fields, decision: 'deny' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('already been used');
    const reentered = await enterCode(browser, a.user_code);
    expect(reentered.text).toContain('already been used');
    // The entry form refuses a missing CSRF token too.
    expect((await browser.post(`${t.url}/device`, { user_code: a.user_code })).status).toBe(403);
  });

  it('signed out: /device sends the person through sign-in and back with the code filled in', async () => {
    const a = await authorize(tv);
    const browser = new Browser();
    const first = await browser.get(a.verification_uri_complete);
    expect(first.status).toBe(302);
    const login = new URL(first.location!);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('return_to')).toBe(`/device?user_code=${a.user_code}`);
    const steps = await signInWithGoogle(browser, t.url, 'back.again@example.com', {
      returnTo: login.searchParams.get('return_to')!,
    });
    expect(steps.callback.location).toBe(a.verification_uri_complete);
    const page = await browser.get(steps.callback.location!);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${a.user_code}"`);
    expectPageHeaders(page.headers);
    // The consent page carries them too, with form-action still limited to this origin.
    const consent = await browser.post(`${t.url}/device`, {
      ...readForm(page.text, t.url).fields,
      user_code: a.user_code,
    });
    expect(consent.status).toBe(200);
    expectPageHeaders(consent.headers);
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self'");
  });

  it('audits the request, the decision and the issuance, without the device code or user code', async () => {
    const a = await authorize(tv, 'openid');
    const browser = await signedIn();
    await decide(browser, a.user_code, 'approve');
    expect((await poll(tv, a.device_code)).status).toBe(200);
    await t.app.auditLog.flush();
    const { rows } = await t.db.query<{
      event: string;
      actor: string | null;
      subject: string | null;
      details: Record<string, unknown>;
    }>(
      `SELECT event, actor, subject, details FROM audit_events
       WHERE client_id = $1 AND occurred_at > now() - interval '1 minute' ORDER BY id DESC LIMIT 3`,
      [tv.client_id],
    );
    expect(rows.map((r) => r.event).reverse()).toEqual([
      'device_authorization_requested',
      'consent_granted',
      'token_issued',
    ]);
    const [issued, granted] = rows;
    expect(issued!.details).toMatchObject({ grant_type: GRANT });
    expect(granted!.details).toMatchObject({ grant_type: 'device_code', scope: 'openid' });
    expect(issued!.subject).toBe(granted!.actor);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(a.device_code);
    expect(text).not.toContain(a.user_code);
  });

  // Last: it uses up this address's wrong-code allowance.
  it('wrong user codes are limited per address: 10 per minute, then 429 (RFC 8628 §5.1)', async () => {
    const a = await authorize(tv);
    const browser = await signedIn();
    const unknown = await enterCode(browser, 'BBBB-BBBB');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('not recognised');
    for (let i = 1; i < 10; i++) expect((await enterCode(browser, 'not a code')).status).toBe(400);
    const blocked = await enterCode(browser, a.user_code);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(blocked.text).toContain('Too many attempts');
    expectPageHeaders(blocked.headers);
    // Posting straight to the decision endpoint guesses no further: the right code is refused
    // too, and the device authorization stays pending.
    const form = readForm((await browser.get(`${t.url}/device`)).text, t.url);
    const direct = await browser.post(`${t.url}/device/decision`, {
      csrf_token: form.fields.csrf_token!,
      user_code: a.user_code,
      decision: 'approve',
    });
    expect(direct.status).toBe(429);
    await expectError(await poll(tv, a.device_code), 400, 'authorization_pending');
    await t.app.auditLog.flush();
    const { rows } = await t.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM audit_events WHERE event = 'device_user_code_refused'",
    );
    expect(Number(rows[0]!.n)).toBe(10);
  });
});
