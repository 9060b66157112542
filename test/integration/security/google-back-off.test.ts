import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
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
});
