import { describe, expect, it } from 'vitest';
import { randomToken } from '../../../src/crypto/random.js';

describe('randomToken', () => {
  it('gives base64url tokens of the asked size', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never hands out the same bytes twice, across many refills of its pool', () => {
    const seen = new Set<string>();
    // 3000 × 32 bytes and 500 × 100 bytes: dozens of 4 KiB refills, with draws straddling the end.
    for (let i = 0; i < 3000; i++) seen.add(randomToken(32));
    for (let i = 0; i < 500; i++) seen.add(randomToken(100));
    expect(seen.size).toBe(3500);
    for (const token of seen) expect(token).not.toMatch(/^A+$/);
  });

  it('refuses a size larger than its pool', () => {
    expect(() => randomToken(5000)).toThrow(RangeError);
  });
});
