import { describe, expect, it } from 'vitest';
import { HasherBusyError, MAX_SECRET_LENGTH, createSecretHasher } from '../../../src/crypto/secret-hasher.js';

describe('secret hasher', () => {
  it('hashes with argon2id and verifies once per (owner, secret, hash)', async () => {
    const h = createSecretHasher();
    const hash = await h.hash('s3cret');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await h.verify('c1', 's3cret', hash)).toBe(true);
    expect(await h.verify('c1', 's3cret', hash)).toBe(true);
    expect(h.argon2Verifications).toBe(1);
    expect(await h.verify('c1', 'wrong', hash)).toBe(false);
    expect(await h.verify('c1', 'wrong', hash)).toBe(false);
    expect(h.argon2Verifications).toBe(3); // failures are never cached
  });

  it('shares one verification among concurrent first uses of a secret', async () => {
    const h = createSecretHasher();
    const hash = await h.hash('shared');
    const results = await Promise.all(Array.from({ length: 16 }, () => h.verify('c2', 'shared', hash)));
    expect(results.every(Boolean)).toBe(true);
    expect(h.argon2Verifications).toBe(1);
  });

  it('misses the cache once the stored hash changes (a rotated secret)', async () => {
    const h = createSecretHasher();
    const oldHash = await h.hash('old');
    expect(await h.verify('c3', 'old', oldHash)).toBe(true);
    expect(await h.verify('c3', 'old', await h.hash('new'))).toBe(false);
  });

  it('refuses empty and oversized secrets without argon2', async () => {
    const h = createSecretHasher();
    const hash = await h.hash('x');
    expect(await h.verify('c4', '', hash)).toBe(false);
    expect(await h.verify('c4', 'x'.repeat(MAX_SECRET_LENGTH + 1), hash)).toBe(false);
    expect(h.argon2Verifications).toBe(0);
  });
});

describe('secret hasher concurrency cap (product rule "Abuse limits")', () => {
  it('runs at most maxConcurrent argon2 computations, queues at most maxQueued, and refuses the rest at once', async () => {
    const h = createSecretHasher({ maxConcurrent: 1, maxQueued: 2 });
    const hash = await h.hash('cap');
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((s) => h.verify(`o-${s}`, s, hash)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    for (const o of outcomes.slice(3)) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(HasherBusyError);
    expect(h.argon2Verifications).toBe(3);
    // Once the queue drains, verifications run again.
    expect(await h.verify('o-f', 'cap', hash)).toBe(true);
  });
});
