import { describe, expect, it } from 'vitest';
import { DEV_CLIENT_ID, resolveGoogleSettings } from '../../../src/google/settings.js';
import { parseRetryAfter } from '../../../src/google/http.js';
import { testConfig } from '../../helpers/app.js';

describe('effective Google settings', () => {
  it("dev mode points every endpoint left at Google's default at the built-in mock", () => {
    const s = resolveGoogleSettings(testConfig({ PUBLIC_URL: 'http://localhost:8123' }));
    expect(s).toMatchObject({
      clientId: DEV_CLIENT_ID,
      authUrl: 'http://localhost:8123/_dev/google/o/oauth2/v2/auth',
      tokenUrl: 'http://localhost:8123/_dev/google/token',
      userinfoUrl: 'http://localhost:8123/_dev/google/v1/userinfo',
      tokeninfoUrl: 'http://localhost:8123/_dev/google/tokeninfo',
      jwksUrl: 'http://localhost:8123/_dev/google/oauth2/v3/certs',
      revokeUrl: 'http://localhost:8123/_dev/google/revoke',
      issuer: 'http://localhost:8123/_dev/google',
      usesDevMock: true,
    });
  });

  it('dev mode keeps an endpoint set explicitly', () => {
    const s = resolveGoogleSettings(testConfig({ GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token' }));
    expect(s.tokenUrl).toBe('http://127.0.0.1:9/token');
    expect(s.authUrl).toMatch(/\/_dev\/google\//);
  });

  it('with GOOGLE_CLIENT_ID, the configured (real) Google is used as is', () => {
    const s = resolveGoogleSettings(
      testConfig({ GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'sec' }),
    );
    expect(s).toMatchObject({
      clientId: 'id.apps.googleusercontent.com',
      clientSecret: 'sec',
      authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
      issuer: 'https://accounts.google.com',
      usesDevMock: false,
      timeoutMs: 5000,
    });
  });

  it('parses Retry-After as seconds or an HTTP date, with a default', () => {
    expect(parseRetryAfter('12')).toBe(12);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter(null)).toBe(30);
    expect(parseRetryAfter('soon')).toBe(30);
  });
});
