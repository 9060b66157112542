import { expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';

const SECRETS = {
  authorization: 'Basic c2VjcmV0LWNsaWVudDpzZWNyZXQtcGFzc3dvcmQ=',
  cookie: 'gh_session=session-cookie-value-123',
  adminKey: 'admin-key-value-that-must-not-leak-0001',
  code: 'auth-code-value-456',
  accessToken: 'access-token-value-789',
  refreshToken: 'refresh-token-value-abc',
  clientSecret: 'client-secret-value-def',
  password: 'password-value-ghi',
  apiKey: 'gh_api-key-value-jkl',
  setCookie: 'gh_session=set-cookie-value-mno; HttpOnly',
};

describeBackends('log redaction', (backend) => {
  const t = useTestApp(backend, {
    env: { LOG_LEVEL: 'trace' },
    // Logs the whole request the way a careless handler might; redaction must still hold.
    extend: (app) =>
      app.post('/_log_everything', async (request, reply) => {
        request.log.info({ headers: request.headers, body: request.body, query: request.query }, 'request seen');
        request.log.info({ nested: { deeper: { token: SECRETS.accessToken } } }, 'nested');
        request.log.error(
          { err: Object.assign(new Error('boom'), { code: 'EBOOM', refresh_token: SECRETS.refreshToken }) },
          'failed',
        );
        request.log.child({ api_key: SECRETS.apiKey }).info('child logger');
        reply.header('set-cookie', SECRETS.setCookie);
        request.log.info({ res: { headers: reply.getHeaders() } }, 'response headers');
        return { ok: true };
      }),
  });

  it('no secret from headers, query, body or Set-Cookie reaches the log', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/_log_everything?code=${SECRETS.code}&access_token=${SECRETS.accessToken}&page=1`,
      headers: {
        authorization: SECRETS.authorization,
        cookie: SECRETS.cookie,
        'x-admin-key': SECRETS.adminKey,
        'content-type': 'application/json',
      },
      payload: {
        refresh_token: SECRETS.refreshToken,
        client_secret: SECRETS.clientSecret,
        password: SECRETS.password,
        api_key: SECRETS.apiKey,
        code: SECRETS.code,
      },
    });
    expect(res.statusCode).toBe(200);
    const text = t.logs.text;
    expect(text).toContain('request seen');
    expect(text).toContain('page=1');
    expect(text).toContain('child logger');
    // An error's own code is kept for operators; only secret-named fields are masked.
    expect(text).toContain('"code":"EBOOM"');
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(text, `${name} leaked into the log`).not.toContain(value);
    }
    expect(text).toContain('[REDACTED]');
  });
});
