import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { seedUser } from '../../helpers/oauth.js';
import { startReceiver, verifySignature, waitForEvent, type Receiver } from '../../helpers/webhook-receiver.js';

const ALL_EVENTS = [
  'connection.created',
  'connection.reauth_required',
  'connection.recovered',
  'connection.deleted',
  'user.google_reauth_required',
  'user.google_recovered',
  'user.deleted',
];

const sorted = (o: Record<string, unknown>) => JSON.stringify(Object.entries(o).sort());

/** Short retries and a short attempt timeout, so back-off is observable in seconds. */
export const FAST_WEBHOOKS = { webhooks: { poll_interval_ms: 100, retry_seconds: [1], timeout_ms: 3000 } };

describeBackends('webhooks', (backend) => {
  const t = useTestApp(backend, { listen: true, google: true, file: FAST_WEBHOOKS });
  let key: string;
  let receiver: Receiver;

  beforeAll(async () => {
    key = (await createApiKey(t.app, { scopes: ['tokens', 'connections'] })).api_key;
  }, 60_000);
  beforeEach(async () => {
    t.google.control.reset();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    // Each test's receivers only: later tests must not see deliveries to earlier ones.
    for (const w of (await admin('GET', '/internal/webhooks')).json().webhooks as { id: string }[])
      await admin('DELETE', `/internal/webhooks/${w.id}`);
    await receiver.close();
  });

  const admin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) });
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  /** People are named by `subject`, connections only by `connection_id`. */
  const forceRefresh = (named: { subject: string } | { connection_id: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/refresh',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(named).toString(),
    });

  async function register(events: string[], url = receiver.url): Promise<{ id: string; secret: string }> {
    const res = await admin('POST', '/internal/webhooks', { url, events });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  async function connect(connectionId: string, email: string): Promise<void> {
    const link = await api('POST', '/connections', { connection_id: connectionId });
    expect(link.statusCode, link.body).toBe(200);
    const browser = new Browser();
    const url = link.json().connect_url as string;
    // The link's page asks the person to confirm; only its form spends the link.
    const page = await browser.get(url);
    const confirm = readForm(page.text, url);
    const open = await browser.post(confirm.action, confirm.fields);
    const consent = await browser.get(open.location!);
    const form = readForm(consent.text, open.location!);
    const answer = await browser.post(form.action, { ...form.fields, email, decision: 'allow' });
    const callback = await browser.get(answer.location!);
    expect(callback.status, callback.text).toBeLessThan(400);
  }

  it('validates registrations and never shows a secret again', async () => {
    for (const bad of [
      { url: '/relative', events: ['user.deleted'] },
      { url: 'ftp://example.com/hook', events: ['user.deleted'] },
      { url: 'https://user:pass@example.com/hook', events: ['user.deleted'] },
      { url: 'https://example.com/hook', events: [] },
      { url: 'https://example.com/hook', events: ['user.created'] },
      { url: 'not a url', events: ['user.deleted'] },
    ]) {
      const res = await admin('POST', '/internal/webhooks', bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json()).toMatchObject({
        success: false,
        error: 'invalid_request',
        error_description: expect.any(String),
      });
    }
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/internal/webhooks',
      payload: { url: receiver.url, events: ['user.deleted'] },
    });
    expect(anonymous.statusCode).toBe(401);

    const created = await register(['user.deleted', 'connection.deleted']);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await admin('GET', '/internal/webhooks');
    expect(listed.json().webhooks).toEqual([
      {
        id: created.id,
        url: receiver.url,
        events: ['user.deleted', 'connection.deleted'],
        created_at: expect.any(String),
      },
    ]);
    expect(listed.body).not.toContain(created.secret);
    const { rows } = await t.db.query<{ secret_enc: string }>('SELECT secret_enc FROM webhooks WHERE id = $1', [
      created.id,
    ]);
    expect(rows[0]!.secret_enc).not.toContain(created.secret);

    expect((await admin('GET', '/internal/webhooks/not-a-uuid/deliveries')).statusCode).toBe(400);
    expect((await admin('DELETE', `/internal/webhooks/${created.id}`)).statusCode).toBe(200);
    const again = await admin('DELETE', `/internal/webhooks/${created.id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ success: false, error: 'not_found' });
  });

  it('delivers every event type, signed, with {id, type, created_at, data}', async () => {
    const { secret } = await register(ALL_EVENTS);
    const expectDelivered = async (type: string, data: Record<string, unknown>) => {
      const r = await waitForEvent(receiver, (e) => e.type === type && sorted(e.data) === sorted(data));
      expect(verifySignature(secret, r.signature, r.body)).toBe(true);
      expect(verifySignature('whsec_wrong', r.signature, r.body)).toBe(false);
      expect(r.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(Math.abs(Number(/t=(\d+)/.exec(r.signature!)![1]) - Date.now() / 1000)).toBeLessThan(60);
      expect(Object.keys(r.event).sort()).toEqual(['created_at', 'data', 'id', 'type']);
      expect(new Date(r.event.created_at).toISOString()).toBe(r.event.created_at);
    };

    // A connection: created, refused by Google, reconnected, deleted.
    await connect('shop:hooks-1', 'hooks.branch@example.com');
    await expectDelivered('connection.created', { connection_id: 'shop:hooks-1' });
    t.google.control.failNextToken(1, 'invalid_grant');
    expect((await forceRefresh({ connection_id: 'shop:hooks-1' })).statusCode).toBe(409);
    await expectDelivered('connection.reauth_required', { connection_id: 'shop:hooks-1', reason: 'invalid_grant' });
    await connect('shop:hooks-1', 'hooks.branch@example.com');
    await expectDelivered('connection.recovered', { connection_id: 'shop:hooks-1' });
    expect((await api('DELETE', '/connections/shop:hooks-1')).statusCode).toBe(200);
    await expectDelivered('connection.deleted', { connection_id: 'shop:hooks-1' });

    // A person: signed in, refused by Google, signed in again, deleted.
    await signInWithGoogle(new Browser(), t.url, 'hooks.person@example.com');
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      'hooks.person@example.com',
    ]);
    const userId = rows[0]!.id;
    t.google.control.failNextToken(1, 'invalid_grant');
    expect((await forceRefresh({ subject: userId })).statusCode).toBe(409);
    await expectDelivered('user.google_reauth_required', { user_id: userId, reason: 'invalid_grant' });
    await signInWithGoogle(new Browser(), t.url, 'hooks.person@example.com');
    await expectDelivered('user.google_recovered', { user_id: userId });
    expect((await admin('DELETE', `/users/${userId}`)).statusCode).toBe(200);
    await expectDelivered('user.deleted', { user_id: userId });
    // Erasure: the only stored event still naming the person is the one announcing the deletion.
    const naming = await t.db.query<{ type: string }>(`SELECT type FROM webhook_events WHERE data->>'user_id' = $1`, [
      userId,
    ]);
    expect(naming.rows.map((r) => r.type)).toEqual(['user.deleted']);

    // Exactly one delivery of each, all recorded as delivered at the first attempt.
    expect(receiver.received.map((r) => r.event.type).sort()).toEqual([...ALL_EVENTS].sort());
    expect(new Set(receiver.received.map((r) => r.event.id)).size).toBe(ALL_EVENTS.length);
  });

  it('only sends a receiver the events it subscribed to', async () => {
    await register(['connection.deleted']);
    const user = await seedUser(t.db);
    expect((await admin('DELETE', `/users/${user.id}`)).statusCode).toBe(200);
    const other = await startReceiver();
    try {
      await register(['user.deleted'], other.url);
      const second = await seedUser(t.db);
      await admin('DELETE', `/users/${second.id}`);
      await waitForEvent(other, (e) => e.data.user_id === second.id);
      expect(receiver.received).toEqual([]);
      // Registered after the first deletion: that event was not queued for it.
      expect(other.received.map((r) => r.event.data.user_id)).toEqual([second.id]);
    } finally {
      await other.close();
    }
  });

  it('a receiver answering 500 then 200 gets the same event again, and the log shows both attempts', async () => {
    let calls = 0;
    receiver.answer(() => (++calls === 1 ? 500 : 200));
    const hook = await register(['user.deleted']);
    const user = await seedUser(t.db);
    expect((await admin('DELETE', `/users/${user.id}`)).statusCode).toBe(200);
    await waitForEvent(receiver, () => receiver.received.length >= 2);
    const [first, second] = receiver.received;
    expect(second!.event.id).toBe(first!.event.id);
    expect(second!.body).toBe(first!.body);
    // retry_seconds [1]: the second attempt waits about a second.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);

    const log = await admin('GET', `/internal/webhooks/${hook.id}/deliveries`);
    expect(log.statusCode).toBe(200);
    const [delivery] = log.json().deliveries;
    expect(delivery).toEqual({
      id: expect.any(String),
      event_id: first!.event.id,
      event_type: 'user.deleted',
      attempts: [
        { at: expect.any(String), status_code: 500, error: 'HTTP 500' },
        { at: expect.any(String), status_code: 200, error: null },
      ],
      next_attempt_at: null,
      delivered_at: expect.any(String),
    });

    // A manual retry sends it once more, same id.
    const retry = await admin('POST', `/internal/webhooks/${hook.id}/deliveries/${delivery.id}/retry`);
    expect(retry.statusCode, retry.body).toBe(202);
    await waitForEvent(receiver, () => receiver.received.length >= 3);
    expect(receiver.received[2]!.event.id).toBe(first!.event.id);
    const unknown = await admin('POST', `/internal/webhooks/${hook.id}/deliveries/${crypto.randomUUID()}/retry`);
    expect(unknown.statusCode).toBe(404);
  });

  it('a redirect is a failed attempt, not followed', async () => {
    receiver.answer(() => 302);
    const hook = await register(['user.deleted']);
    const user = await seedUser(t.db);
    await admin('DELETE', `/users/${user.id}`);
    await waitForEvent(receiver, () => true);
    await expect
      .poll(async () => (await admin('GET', `/internal/webhooks/${hook.id}/deliveries`)).json().deliveries[0].attempts)
      .toEqual([{ at: expect.any(String), status_code: 302, error: 'HTTP 302 (redirects are not followed)' }]);
    expect(receiver.received).toHaveLength(1);
  });

  it('reads only a small part of an answer: an endless body neither fills memory nor delays the record', async () => {
    receiver.answer(() => 'endless');
    const hook = await register(['user.deleted']);
    const user = await seedUser(t.db);
    await admin('DELETE', `/users/${user.id}`);
    await waitForEvent(receiver, () => true);
    // Recorded as delivered (2xx) well before the 3 s attempt timeout, the stream cut short.
    await expect
      .poll(async () => (await admin('GET', `/internal/webhooks/${hook.id}/deliveries`)).json().deliveries[0], {
        timeout: 2500,
      })
      .toMatchObject({ delivered_at: expect.any(String), attempts: [{ status_code: 200, error: null }] });
    expect(receiver.received).toHaveLength(1);
  });

  it('a receiver that never answers does not hold up the request that caused the event', async () => {
    receiver.answer(() => 'hang');
    const hook = await register(['user.deleted']);
    const first = await seedUser(t.db);
    const second = await seedUser(t.db);
    expect((await admin('DELETE', `/users/${first.id}`)).statusCode).toBe(200);
    await waitForEvent(receiver, (e) => e.data.user_id === first.id);
    // The receiver holds that request open; another change still commits and answers while
    // the first attempt is still waiting (nothing recorded yet).
    const res = await admin('DELETE', `/users/${second.id}`);
    expect(res.statusCode).toBe(200);
    const pending = (await admin('GET', `/internal/webhooks/${hook.id}/deliveries`)).json().deliveries;
    expect(pending.find((d: { event_type: string; attempts: unknown[] }) => d.attempts.length === 0)).toBeDefined();
    // The attempt ends at webhooks.timeout_ms and is recorded as such.
    await expect
      .poll(
        async () =>
          (await admin('GET', `/internal/webhooks/${hook.id}/deliveries`))
            .json()
            .deliveries.flatMap((d: { attempts: unknown[] }) => d.attempts),
        { timeout: 10_000 },
      )
      .toContainEqual({ at: expect.any(String), status_code: null, error: 'no answer within 3000 ms' });
  });
});
