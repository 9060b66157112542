import { describe, expect, it } from 'vitest';
import { backOffUntil, MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from '../../../src/google/http.js';

describe('Google Retry-After (RFC 9110 §10.2.3), honoured up to 300 s', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('caps delay-seconds and HTTP dates at 300 s', () => {
    expect(MAX_RETRY_AFTER_SECONDS).toBe(300);
    expect(parseRetryAfter('299')).toBe(299);
    expect(parseRetryAfter('315360000')).toBe(300);
    expect(parseRetryAfter('Fri, 01 Jan 2035 00:00:00 GMT', now)).toBe(300);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:04:00 GMT', now)).toBe(240);
  });

  it('ends a back-off at most 300 s from now, whatever it is asked', () => {
    expect(backOffUntil(315_360_000, now)).toBe(now + 300_000);
    expect(backOffUntil(5, now)).toBe(now + 5_000);
    expect(backOffUntil(-1, now)).toBe(now);
  });
});
