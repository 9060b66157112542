import { describe, expect, it } from 'vitest';
import {
  isSecretFieldName,
  redactError,
  redactSecrets,
  redactUrl,
  withoutSecrets,
} from '../../../src/logging/redaction.js';

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

describe('redactSecrets', () => {
  it('masks secret-named fields at any depth, in arrays too, and keeps the rest', () => {
    const input = {
      req: { headers: { authorization: 'Basic x', cookie: 'c=1', 'x-admin-key': 'k', accept: 'json' } },
      body: { refresh_token: 'r', grant_type: 'refresh_token', items: [{ client_secret: 's', id: 1 }] },
      a: { b: { c: { d: { token: 't' } } } },
      code: 'abc',
    };
    expect(redactSecrets(input)).toEqual({
      req: {
        headers: { authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-admin-key': '[REDACTED]', accept: 'json' },
      },
      body: {
        refresh_token: '[REDACTED]',
        grant_type: 'refresh_token',
        items: [{ client_secret: '[REDACTED]', id: 1 }],
      },
      a: { b: { c: { d: { token: '[REDACTED]' } } } },
      code: '[REDACTED]',
    });
  });

  it('never mutates what was logged and returns clean objects as they are', () => {
    const input = { body: { api_key: 'k', n: 1 }, clean: { n: 2 } };
    const out = redactSecrets(input) as typeof input;
    expect(input.body.api_key).toBe('k');
    expect(out.clean).toBe(input.clean);
    const clean = { a: { b: [1, 2] } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it('sees objects the way JSON.stringify does: toJSON first, class instances by their own fields', () => {
    class Holder {
      constructor(
        public password: string,
        public user: string,
      ) {}
    }
    const withToJSON = { toJSON: () => ({ session: 's', ok: true }) };
    expect(redactSecrets({ h: new Holder('p', 'u'), j: withToJSON, when: new Date(0) })).toEqual({
      h: { password: '[REDACTED]', user: 'u' },
      j: { session: '[REDACTED]', ok: true },
      when: '1970-01-01T00:00:00.000Z',
    });
  });

  it('cuts off objects nested beyond ten levels instead of walking them forever', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const text = JSON.stringify(redactSecrets(loop));
    expect(text).toContain('[TRUNCATED]');
  });
});

describe('redactError', () => {
  it('keeps an error code but masks an OAuth code and secret fields', () => {
    expect(redactError({ type: 'Error', message: 'm', code: 'ECONNREFUSED', token: 't' })).toEqual({
      type: 'Error',
      message: 'm',
      code: 'ECONNREFUSED',
      token: '[REDACTED]',
    });
    expect(redactError({ type: 'Error', message: 'm', code: 'Ab3-x_9QzP' })).toEqual({
      type: 'Error',
      message: 'm',
      code: '[REDACTED]',
    });
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
    for (const name of [
      'password',
      'access_token',
      'id_token',
      'code_verifier',
      'x-admin-key',
      'csrf_token',
      'private_key',
      'ciphertext',
    ]) {
      expect(isSecretFieldName(name), name).toBe(true);
    }
    for (const name of ['grant_type', 'scope', 'client_id', 'ip', 'redirect_uris', 'app_name']) {
      expect(isSecretFieldName(name), name).toBe(false);
    }
  });
});

describe('redaction by name and by shape', () => {
  it('treats every name that means a secret as one, in snake, kebab and camel case', () => {
    for (const name of [
      'authorization',
      'cookie',
      'key',
      'api_key',
      'admin_key',
      'x-admin-key',
      'token',
      'secret',
      'password',
      'code',
      'code_verifier',
      'assertion',
      'jwt',
      'bearer',
      'signature',
      'sig',
      'credential',
      'otp',
      'private_key',
      'privateKey',
      'accessToken',
      'x-goog-api-key',
      'password_new',
      'private_pem',
    ]) {
      expect(isSecretFieldName(name), name).toBe(true);
    }
    for (const name of [
      'token_endpoint_auth_method',
      'api_key_id',
      'credential_id',
      'status_code',
      'token_type',
      'key_id',
      'grant_type',
    ]) {
      expect(isSecretFieldName(name), name).toBe(false);
    }
  });

  it('masks API keys, Google tokens and JWTs inside any string, and in URLs under any parameter name', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefgh';
    expect(
      redactSecrets({
        note: `got ya29.abcDEF-123 and 1//0gAbCdEfGh12 and ${jwt} and gh_0123456789ab_${'x'.repeat(43)}`,
      }),
    ).toEqual({
      note: 'got [REDACTED] and [REDACTED] and [REDACTED] and [REDACTED]',
    });
    expect(redactUrl(`/x?q=ya29.abc-123&r=${encodeURIComponent('1//0gAbCdEfGh12')}&page=1`)).toBe(
      '/x?q=[REDACTED]&r=[REDACTED]&page=1',
    );
    expect(redactUrl('/clients?x-admin-key=k&authorization=Bearer%20x&key=k2&otp=1&sig=2')).toBe(
      '/clients?x-admin-key=[REDACTED]&authorization=[REDACTED]&key=[REDACTED]&otp=[REDACTED]&sig=[REDACTED]',
    );
    // URLs and plain words that merely contain "1//" stay readable.
    expect(redactSecrets({ link: 'https://example.com/a' })).toEqual({ link: 'https://example.com/a' });
  });

  it('hashes the subject of /tokens/<subject> and /connections/<id>', () => {
    expect(redactUrl('/tokens/ada%40example.com?refresh=true')).toMatch(
      /^\/tokens\/sha256:[0-9a-f]{12}\?refresh=true$/,
    );
    expect(redactUrl('/connections/shop-1/token')).toMatch(/^\/connections\/sha256:[0-9a-f]{12}\/token$/);
    expect(redactUrl('/tokens/ada%40example.com')).toBe(redactUrl('/tokens/ada@example.com'));
    expect(redactUrl('/connections')).toBe('/connections');
  });
});
