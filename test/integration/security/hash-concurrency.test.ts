import argon2 from 'argon2';
import { beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { createApiKey } from '../../helpers/admin.js';

describeBackends('argon2 concurrency cap: security.max_concurrent_hashes, 100 waiting, then 503', (backend) => {
  const t = useTestApp(backend, { file: { security: { max_concurrent_hashes: 1 } } });
  let prefix: string;
  beforeAll(async () => {
    const created = await createApiKey(t.app);
    prefix = created.api_key.split('_')[1]!;
    // A lighter argon2id hash than production's, so 100 queued verifications drain in seconds
    // on a busy test machine; the cap counts verifications, whatever each one costs.
    const light = await argon2.hash(randomBytes(16).toString('hex'), {
      type: argon2.argon2id,
      memoryCost: 16_384,
      timeCost: 2,
      parallelism: 1,
    });
    await t.db.query('UPDATE api_keys SET key_hash = $1 WHERE lookup_prefix = $2', [light, prefix]);
  }, 60_000);

  it('wrong secrets for a real key from 160 addresses at once: one runs, 100 wait, the rest get 503 with Retry-After; never 500', async () => {
    const responses = await Promise.all(
      Array.from({ length: 160 }, (_, i) =>
        t.app.inject({
          method: 'GET',
          url: '/tokens/someone',
          remoteAddress: `10.70.${Math.floor(i / 200)}.${i % 200}`,
          headers: { authorization: `Bearer gh_${prefix}_${randomBytes(32).toString('base64url')}` },
        }),
      ),
    );
    const busy = responses.filter((r) => r.statusCode === 503);
    const refused = responses.filter((r) => r.statusCode === 401);
    expect(busy.length + refused.length).toBe(160);
    expect(busy.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(101);
    expect(busy[0]!.json()).toEqual({
      success: false,
      error: 'unavailable',
      error_description: 'too many credential checks in progress; try again shortly',
    });
    expect(busy[0]!.headers['retry-after']).toBe('1');
  }, 120_000);
});
