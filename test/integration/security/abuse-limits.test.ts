import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { auditEvents } from '../../helpers/app.js';
import { basicAuth, createApiKey } from '../../helpers/admin.js';
import { FORM, form } from '../../helpers/oauth.js';
import { unavailableFor } from '../../helpers/failing-cache.js';
import { expectApiError } from '../../helpers/api-error.js';

/** A well-formed API key nobody holds. */
const bogusKey = () => `gh_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

describeBackends('abuse limits (product rule "Abuse limits")', (backend) => {
  const t = useTestApp(backend);

  /** client_credentials with Basic credentials of a client id that does not exist. */
  const unknownClient = (ip: string, clientId = `unknown-${randomBytes(8).toString('hex')}`) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: ip,
      headers: { ...FORM, authorization: basicAuth(clientId, 'not-the-secret') },
      payload: form({ grant_type: 'client_credentials' }),
    });
  const badApiKey = (ip: string, key = bogusKey()) =>
    t.app.inject({
      method: 'GET',
      url: '/tokens/someone',
      remoteAddress: ip,
      headers: { authorization: `Bearer ${key}` },
    });

  /** Runs n requests, `concurrency` at a time, and returns their statuses in order. */
  async function burst(n: number, concurrency: number, send: (i: number) => ReturnType<typeof badApiKey>) {
    const statuses: number[] = [];
    for (let i = 0; i < n; i += concurrency) {
      const batch = await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => send(i + j)));
      for (const res of batch) {
        if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        statuses.push(res.statusCode);
      }
    }
    return statuses;
  }

  it('300 failed authentications from one IP with 300 distinct unknown client ids: 60 × 401, then 429, and argon2 only for those 60', async () => {
    const argonBefore = t.app.secretHasher.argon2Verifications;
    const statuses = await burst(300, 30, () => unknownClient('10.60.0.1'));
    expect(tally(statuses)).toEqual({ 401: 60, 429: 240 });
    expect(t.app.secretHasher.argon2Verifications - argonBefore).toBeLessThanOrEqual(60);
    // Another address is not affected.
    expect((await unknownClient('10.60.0.2')).statusCode).toBe(401);
  }, 240_000);

  it('60 concurrent bad API keys from one IP: exactly 20 × 401 (the API-key limit), 40 × 429, no argon2 past the limit', async () => {
    const argonBefore = t.app.secretHasher.argon2Verifications;
    const statuses = await burst(60, 60, () => badApiKey('10.61.0.1'));
    expect(tally(statuses)).toEqual({ 401: 20, 429: 40 });
    expect(t.app.secretHasher.argon2Verifications - argonBefore).toBeLessThanOrEqual(20);
  }, 120_000);

  it('one per-IP limit of 60 failures a minute across client ids and API keys', async () => {
    const ip = '10.62.0.1';
    expect(tally(await burst(45, 15, () => unknownClient(ip)))).toEqual({ 401: 45 });
    expect(tally(await burst(15, 15, () => badApiKey(ip)))).toEqual({ 401: 15 });
    // Neither of these is over its own limit (a fresh client id; 15 of 20 API-key failures).
    const client = await unknownClient(ip);
    expectApiError(client, 429, 'too_many_requests', 'too many failed client authentications; try again later');
    expect((await badApiKey(ip)).statusCode).toBe(429);
  }, 240_000);

  it('a right credential after failures still works and is not counted as one', async () => {
    const ip = '10.63.0.1';
    const { api_key } = await createApiKey(t.app);
    expect(tally(await burst(19, 19, () => badApiKey(ip)))).toEqual({ 401: 19 });
    for (let i = 0; i < 5; i++) expect((await badApiKey(ip, api_key)).statusCode).not.toBe(429);
    expect((await badApiKey(ip)).statusCode).toBe(401);
    expect((await badApiKey(ip)).statusCode).toBe(429);
  }, 120_000);

  it('refusals are aggregated: one auth_failures event per IP and minute with a count, no per-request rows, no caller-chosen ids', async () => {
    const ip = '10.64.0.1';
    const longClientId = `c${'x'.repeat(127)}`;
    const started = Date.now();
    // The sequence: 60 calls with a bogus key to the external token service.
    const statuses = await burst(60, 10, () =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/external/token',
        remoteAddress: ip,
        headers: { authorization: `Bearer ${bogusKey()}`, 'content-type': 'application/json' },
        payload: { client_id: longClientId, subject: 'someone@example.com', scope: 'openid' },
      }),
    );
    expect(tally(statuses)).toEqual({ 401: 20, 429: 40 });
    for (let i = 0; i < 3; i++) await unknownClient(ip, `${longClientId.slice(0, 120)}${i}`);
    for (let i = 0; i < 2; i++)
      await t.app.inject({ method: 'GET', url: '/clients', remoteAddress: ip, headers: { 'x-admin-key': 'wrong' } });

    t.app.authFailures.flush();
    const events = await auditEvents(t);
    expect(events.filter((e) => e.event === 'external_token_refused')).toEqual([]);
    const rows = await t.db.query<{ ip: string; details: Record<string, unknown> }>(
      "SELECT ip::text AS ip, details FROM audit_events WHERE event = 'auth_failures' AND details->>'count' IS NOT NULL",
    );
    const forIp = rows.rows.filter((r) => r.ip.startsWith(ip)).map((r) => r.details as Record<string, number | string>);
    // One event per address and minute: two only if the sequence straddled a minute boundary.
    const minutes = Math.ceil((Date.now() - started) / 60_000) + 1;
    expect(forIp.length).toBeGreaterThanOrEqual(1);
    expect(forIp.length).toBeLessThanOrEqual(Math.min(minutes, 2));
    expect(new Set(forIp.map((d) => d.window_start)).size).toBe(forIp.length);
    const sum = (field: string) => forIp.reduce((n, d) => n + Number(d[field]), 0);
    expect(forIp.every((d) => d.window_seconds === 60)).toBe(true);
    expect({
      count: sum('count'),
      api_key_failures: sum('api_key_failures'),
      rate_limited: sum('rate_limited'),
      client_failures: sum('client_failures'),
      admin_key_failures: sum('admin_key_failures'),
    }).toEqual({ count: 65, api_key_failures: 20, rate_limited: 40, client_failures: 3, admin_key_failures: 2 });
    const { rows: leaked } = await t.db.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE '%xxxxxxxxxxxxxxxx%' OR client_id LIKE '%xxxxxxxxxxxxxxxx%'",
    );
    expect(leaked[0]).toEqual({ n: 0 });
  }, 120_000);
});

describeBackends('abuse limits without Redis', (backend) => {
  const t = useTestApp(backend, { cache: (cache) => unavailableFor(cache, 'rl:') });

  it('falls back to in-process limits, never to none: 60 concurrent bad API keys still get 20 × 401', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () =>
        t.app.inject({
          method: 'GET',
          url: '/tokens/someone',
          remoteAddress: '10.65.0.1',
          headers: { authorization: `Bearer ${bogusKey()}` },
        }),
      ),
    );
    expect(tally(statuses.map((r) => r.statusCode))).toEqual({ 401: 20, 429: 40 });
  }, 120_000);
});
