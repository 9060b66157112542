import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, isSecretFieldName, redactUrl, withoutSecrets } from '../../../src/logging/redaction.js';

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

describe('withoutSecrets', () => {
  it('drops secret-named fields at any depth and keeps descriptive ones', () => {
    const input = {
      action: 'client.register',
      client_secret: 's',
      token_endpoint_auth_method: 'client_secret_basic',
      status_code: 400,
      nested: { refresh_token: 'r', Authorization: 'Basic x', keep: 1, list: [{ api_key: 'k', id: 'a' }] },
      google_access_token: 'g',
      secret_hash: '$argon2id$',
      code: 'c',
      when: new Date('2026-01-01T00:00:00Z'),
    };
    expect(withoutSecrets(input)).toEqual({
      action: 'client.register',
      token_endpoint_auth_method: 'client_secret_basic',
      status_code: 400,
      nested: { keep: 1, list: [{ id: 'a' }] },
      when: '2026-01-01T00:00:00.000Z',
    });
  });

  it('agrees with the logger on every name the logger redacts', () => {
    for (const name of ['password', 'access_token', 'id_token', 'code_verifier', 'x-admin-key', 'csrf_token', 'private_key', 'ciphertext']) {
      expect(isSecretFieldName(name), name).toBe(true);
    }
    for (const name of ['grant_type', 'scope', 'client_id', 'ip', 'redirect_uris', 'app_name']) {
      expect(isSecretFieldName(name), name).toBe(false);
    }
  });
});
