import { beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';

const TIMEOUT_MS = 1000;

describeBackends('Google token broker when Google fails', (backend) => {
  const t = useTestApp(backend, { google: true, file: { google: { request_timeout_ms: TIMEOUT_MS } } });
  let key: string;
  let seq = 0;

  beforeAll(async () => {
    key = (await createApiKey(t.app)).api_key;
    // The key's first use runs argon2; the timings below are about Google, not that.
    expect((await brokerCall(t.app, key, 'warm-up')).statusCode).toBe(404);
  }, 60_000);

  /** A credential whose held access token has `lifetime` seconds left. */
  async function seed(lifetime: number) {
    t.google.control.setAccessTokenLifetime(lifetime);
    const s = await seedCredential(t.app, t.google, `upstream.${++seq}.${backend.name}@example.com`);
    t.google.control.setAccessTokenLifetime(3599);
    return s;
  }

  async function timed(fn: () => ReturnType<typeof brokerCall>) {
    const started = Date.now();
    const res = await fn();
    return { res, ms: Date.now() - started };
  }

  const UPSTREAM = {
    success: false,
    error: 'upstream_unavailable',
    error_description: 'Google did not answer in time; try again shortly',
  };

  it('retries Google 5xx with backoff inside request_timeout_ms, then answers 502', async () => {
    const s = await seed(10);
    const before = t.google.control.calls('token');
    t.google.control.failNextToken(1000, 'server_error');
    const { res, ms } = await timed(() => brokerCall(t.app, key, s.user.id));
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json()).toEqual(UPSTREAM);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    expect(t.google.control.calls('token') - before).toBeGreaterThan(1);
  });

  it('answers 502 when Google does not answer within request_timeout_ms', async () => {
    const s = await seed(10);
    t.google.control.setLatency(5000, 'token');
    const { res, ms } = await timed(() => brokerCall(t.app, key, s.user.id, 'tokens'));
    expect(res.statusCode, res.body).toBe(502);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('recovers from a reset connection by retrying', async () => {
    const s = await seed(10);
    const before = t.google.control.calls('token');
    t.google.control.failNextToken(1, 'connection_reset');
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().access_token).not.toBe(s.accessToken);
    expect(t.google.control.calls('token')).toBe(before + 2);
  });

  it('serves the held token when Google fails and it still has at least 30 s to live', async () => {
    const s = await seed(60);
    t.google.control.failNextToken(1000, 'server_error');
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.access_token).toBe(s.accessToken);
    expect(body.expires_in).toBeGreaterThanOrEqual(30);
    expect(body.expires_in).toBeLessThanOrEqual(60);
    // A forced refresh asked for a new token: the failure is not hidden.
    expect((await brokerCall(t.app, key, s.user.id, 'refresh')).statusCode).toBe(502);
  });

  it('honours 429: no call before Retry-After, 502 when it falls past the budget', async () => {
    const s = await seed(10);
    const before = t.google.control.calls('token');
    t.google.control.failNextToken(1, 'rate_limited', { retryAfter: 5 });
    const first = await timed(() => brokerCall(t.app, key, s.user.id));
    expect(first.res.statusCode, first.res.body).toBe(502);
    expect(first.ms).toBeLessThan(TIMEOUT_MS + 1000);
    const second = await brokerCall(t.app, key, s.user.id);
    expect(second.statusCode).toBe(502);
    expect(t.google.control.calls('token')).toBe(before + 1);
  });
});
