import { describe, expect, it } from 'vitest';
import { createSecretHasher } from '../../../src/crypto/secret-hasher.js';

describe('secret hasher verify cache', () => {
  it('runs argon2 once for concurrent presentations of the same secret (single flight)', async () => {
    const hasher = createSecretHasher();
    const hash = await hasher.hash('s3cret-value');
    const results = await Promise.all(Array.from({ length: 20 }, () => hasher.verify('client-1', 's3cret-value', hash)));
    expect(results.every(Boolean)).toBe(true);
    expect(hasher.argon2Verifications).toBe(1);
    // …and the cached result serves later requests without argon2.
    expect(await hasher.verify('client-1', 's3cret-value', hash)).toBe(true);
    expect(hasher.argon2Verifications).toBe(1);
  });

  it('never caches a failure: a wrong secret is verified again each time', async () => {
    const hasher = createSecretHasher();
    const hash = await hasher.hash('s3cret-value');
    expect(await hasher.verify('client-1', 'wrong', hash)).toBe(false);
    expect(await hasher.verify('client-1', 'wrong', hash)).toBe(false);
    expect(hasher.argon2Verifications).toBe(2);
  });

  it('does not share a flight between different secrets or owners', async () => {
    const hasher = createSecretHasher();
    const hash = await hasher.hash('s3cret-value');
    const [good, bad, other] = await Promise.all([
      hasher.verify('client-1', 's3cret-value', hash),
      hasher.verify('client-1', 'guess', hash),
      hasher.verify('client-2', 's3cret-value', hash),
    ]);
    expect([good, bad, other]).toEqual([true, false, true]);
    expect(hasher.argon2Verifications).toBe(3);
  });
});
