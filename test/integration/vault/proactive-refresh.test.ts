import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { type TestApp } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';
import { startReceiver, waitForEvent, type Receiver } from '../../helpers/webhook-receiver.js';

/** On, but passes only when a test runs one (the schedule's first pass is up to an hour away). */
const PROACTIVE = { GOOGLE_PROACTIVE_REFRESH: 'true', GOOGLE_PROACTIVE_REFRESH_INTERVAL_SECONDS: '3600' };

describeBackends('proactive Google refresh', (backend) => {
  const t = useTestApp(backend, {
    listen: true,
    google: true,
    env: { ...PROACTIVE },
    file: { webhooks: { poll_interval_ms: 100 } },
  });
  let key: string;
  let receiver: Receiver;
  let seq = 0;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens'] })).api_key;
  }, 60_000);
  beforeEach(async () => {
    t.google.control.reset();
    receiver = await startReceiver();
    // Whatever earlier tests left due is not this test's business.
    await t.db.query(`UPDATE google_credentials SET status = 'reauth_required'`);
  });
  afterEach(async () => {
    await receiver.close();
  });

  /** A person whose Google access token expires in 5 minutes (inside the default 10). */
  async function expiringSoon() {
    t.google.control.setAccessTokenLifetime(300);
    const s = await seedCredential(t.app, t.google, `proactive.${++seq}.${backend.name}@example.com`);
    // What a refresh gets back lives an hour.
    t.google.control.setAccessTokenLifetime(3600);
    return s;
  }

  it('refreshes a token about to expire without any broker call; the next broker call needs no Google', async () => {
    const s = await expiringSoon();
    const before = t.google.control.calls('token');
    const pass = await t.app.proactiveRefresher!.runNow();
    expect(pass).toEqual({ refreshed: 1, reauthRequired: 0, failed: 0, deferred: 0 });
    expect(t.google.control.calls('token')).toBe(before + 1);
    const row = await t.app.repos.googleCredentials.findById(s.credential.id);
    expect(row!.accessTokenExpiresAt!.getTime() - Date.now()).toBeGreaterThan(50 * 60_000);

    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().access_token).toBe(t.google.control.issuedAccessTokens().at(-1));
    expect(res.json().access_token).not.toBe(s.accessToken);
    expect(t.google.control.calls('token')).toBe(before + 1);

    // Fresh now: the next pass leaves it alone.
    expect(await t.app.proactiveRefresher!.runNow()).toEqual({
      refreshed: 0,
      reauthRequired: 0,
      failed: 0,
      deferred: 0,
    });
  });

  it('finds invalid_grant before any service asks: marks the credential and sends the webhook', async () => {
    const hook = await t.app.inject({
      method: 'POST',
      url: '/internal/webhooks',
      headers: adminHeaders,
      payload: { url: receiver.url, events: ['user.google_reauth_required'] },
    });
    expect(hook.statusCode).toBe(201);
    const s = await expiringSoon();
    t.google.control.revokeRefreshToken(s.refreshToken);
    expect(await t.app.proactiveRefresher!.runNow()).toEqual({
      refreshed: 0,
      reauthRequired: 1,
      failed: 0,
      deferred: 0,
    });
    expect((await t.app.repos.googleCredentials.findById(s.credential.id))!.status).toBe('reauth_required');
    const r = await waitForEvent(receiver, (e) => e.data.user_id === s.user.id);
    expect(r.event).toMatchObject({
      type: 'user.google_reauth_required',
      data: { user_id: s.user.id, reason: 'invalid_grant' },
    });

    const calls = t.google.control.calls('token');
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ success: false, error: 'reauth_required' });
    expect(t.google.control.calls('token')).toBe(calls);
    await t.app.inject({ method: 'DELETE', url: `/internal/webhooks/${hook.json().id}`, headers: adminHeaders });
  });

  it('skips credentials nobody served or signed in with within the window; serving one brings it back', async () => {
    const s = await expiringSoon();
    await t.db.query(
      `UPDATE google_credentials SET created_at = now() - interval '8 days', last_used_at = NULL WHERE id = $1`,
      [s.credential.id],
    );
    expect((await t.app.proactiveRefresher!.runNow())!.refreshed).toBe(0);

    // A broker call serves it (the held token still has 5 minutes) and counts as use.
    const calls = t.google.control.calls('token');
    expect((await brokerCall(t.app, key, s.user.id)).statusCode).toBe(200);
    expect(t.google.control.calls('token')).toBe(calls);
    expect((await t.app.proactiveRefresher!.runNow())!.refreshed).toBe(1);
    const { rows } = await t.db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM google_credentials WHERE id = $1',
      [s.credential.id],
    );
    expect(rows[0]!.last_used_at).not.toBeNull();
  });

  it('keeps to one Google-call budget per minute across instances', async () => {
    const limited = { env: { ...PROACTIVE, GOOGLE_PROACTIVE_REFRESH_PER_MINUTE: '2' } };
    let a: TestApp | undefined;
    let b: TestApp | undefined;
    try {
      a = await t.another({ ownConnections: true, ...limited });
      b = await t.another({ ownConnections: true, ...limited });
      // One after another: each sets the mock's token lifetime around its own seed.
      for (let i = 0; i < 3; i++) await expiringSoon();
      for (const key of a.app.proactiveRefresher!.budget.keysNow()) await t.app.cache.del(key);
      const before = t.google.control.calls('token');
      // A pass looks at no more candidates than the budget allows.
      expect(await a.app.proactiveRefresher!.runNow()).toEqual({
        refreshed: 2,
        reauthRequired: 0,
        failed: 0,
        deferred: 0,
      });
      expect(await b.app.proactiveRefresher!.runNow()).toEqual({
        refreshed: 0,
        reauthRequired: 0,
        failed: 0,
        deferred: 1,
      });
      expect(t.google.control.calls('token')).toBe(before + 2);
      // The third is still due, for the next minute.
      const due = await t.db.query(
        `SELECT 1 FROM google_credentials WHERE status = 'active' AND access_token_expires_at < now() + interval '10 minutes'`,
      );
      expect(due.rowCount).toBe(1);
    } finally {
      await a?.close();
      await b?.close();
    }
  });
});
