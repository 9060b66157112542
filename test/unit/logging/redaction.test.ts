import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, redactUrl } from '../../../src/logging/redaction.js';

describe('redactUrl', () => {
  it('hides secret-looking query parameters and keeps the rest', () => {
    expect(redactUrl('/auth/google/callback?code=abc&state=xyz&scope=email')).toBe(
      '/auth/google/callback?code=[REDACTED]&state=[REDACTED]&scope=email',
    );
    expect(redactUrl('/x?access_token=t&refresh%5Ftoken=r&client_secret=s&page=2')).toBe(
      '/x?access_token=[REDACTED]&refresh%5Ftoken=[REDACTED]&client_secret=[REDACTED]&page=2',
    );
  });

  it('leaves URLs without a query untouched', () => {
    expect(redactUrl('/health')).toBe('/health');
  });
});

describe('REDACT_PATHS', () => {
  it('covers the headers and the secret field names at nested levels', () => {
    for (const p of ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-key"]', 'res.headers["set-cookie"]', '*.refresh_token', '*.*.client_secret', 'code']) {
      expect(REDACT_PATHS).toContain(p);
    }
  });
});
