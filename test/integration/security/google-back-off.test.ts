import { Redis } from 'ioredis';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { createApiKey } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';

/** Where the refresher keeps "no call to Google's token endpoint before …", shared by every instance. */
const NOT_BEFORE_KEY = 'vault:google:token-not-before';
const TEN_YEARS = 315_360_000;

describeBackends('Google Retry-After is honoured up to 300 s', (backend) => {
  const t = useTestApp(backend, { google: true, file: { google: { request_timeout_ms: 1000 } } });
  let key: string;

  beforeAll(async () => {
    key = (await createApiKey(t.app)).api_key;
  }, 60_000);
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('one 429 with Retry-After: 315360000 backs off for at most 300 s, in memory and in the cache', async () => {
    t.google.control.setAccessTokenLifetime(10);
    const s = await seedCredential(t.app, t.google, `back-off.${backend.name}@example.com`);
    t.google.control.failNextToken(1, 'rate_limited', { retryAfter: TEN_YEARS });
    const started = Date.now();
    const res = await brokerCall(t.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(502);

    const notBefore = Number(await t.cache.get(NOT_BEFORE_KEY));
    expect(notBefore).toBeGreaterThan(started);
    expect(notBefore).toBeLessThanOrEqual(Date.now() + 300_000);
    if (backend.name === 'real') {
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const ttl = await redis.pttl(`${t.storage.cache.prefix}${NOT_BEFORE_KEY}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300_000);
      } finally {
        redis.disconnect();
      }
    }
  });

  it('refreshes for every subject resume once 300 s have passed, whatever Retry-After said', async () => {
    // A fresh instance (no back-off in its memory) on the same storage, without the test above's
    // back-off in the cache: this test's 429 is the only one.
    const fresh = await t.another({ file: { google: { request_timeout_ms: 1000 } } });
    await fresh.cache.del(NOT_BEFORE_KEY);
    t.google.control.setAccessTokenLifetime(10);
    const [first, other] = [
      await seedCredential(fresh.app, t.google, `back-off.first.${backend.name}@example.com`),
      await seedCredential(fresh.app, t.google, `back-off.other.${backend.name}@example.com`),
    ];
    t.google.control.failNextToken(1, 'rate_limited', { retryAfter: TEN_YEARS });
    expect((await brokerCall(fresh.app, key, first.user.id)).statusCode).toBe(502);
    expect((await brokerCall(fresh.app, key, other.user.id)).statusCode).toBe(502);

    // 301 s later (the clock moved; nothing was waited for), Google is asked again, for both.
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 301_000);
    const tokenCalls = t.google.control.calls('token');
    for (const s of [first, other]) {
      const res = await brokerCall(fresh.app, key, s.user.id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().access_token).toBe(t.google.control.issuedAccessTokens().at(-1));
    }
    expect(t.google.control.calls('token')).toBe(tokenCalls + 2);
  });
});
