import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { basicAuth, registerClient, type RegisteredClient } from '../../helpers/admin.js';

/**
 * RFC 6749 §3.2 and §4.1.3: requests to the token endpoint (and the revocation, introspection
 * and broker refresh endpoints beside it) use application/x-www-form-urlencoded. Anything else,
 * JSON included, is 415 in the error shape; an empty body is left to the endpoint.
 */
describeBackends('form-encoded bodies only on /oauth/*', (backend) => {
  const t = useTestApp(backend);
  let client: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(t.app, { grant_types: ['client_credentials'], scope: 'reports' });
  }, 60_000);

  const auth = () => ({ authorization: basicAuth(client.client_id, client.client_secret!) });

  it.each(['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/refresh'])(
    '%s refuses JSON and other types with 415',
    async (url) => {
      for (const [type, payload] of [
        ['application/json', JSON.stringify({ grant_type: 'client_credentials', token: 'x', subject: 'x' })],
        ['text/plain', 'grant_type=client_credentials'],
        [
          'multipart/form-data; boundary=x',
          '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--',
        ],
      ] as const) {
        const res = await t.app.inject({ method: 'POST', url, headers: { ...auth(), 'content-type': type }, payload });
        expect(res.statusCode, `${url} ${type}: ${res.body}`).toBe(415);
        expect(res.json()).toEqual({
          success: false,
          error: 'unsupported_media_type',
          error_description: expect.any(String),
        });
        expect(res.headers['cache-control']).toBe('no-store');
      }
    },
  );

  it("a form body is served, and an empty body is the endpoint's own invalid_request", async () => {
    const ok = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: 'grant_type=client_credentials',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const empty = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: auth() });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ success: false, error: 'invalid_request' });
  });
});
