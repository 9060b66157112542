import { expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';

/** Malformed input at the device endpoints is a 4xx in the right shape, never a 500. */
describeBackends('device endpoints refuse malformed input', (backend) => {
  const t = useTestApp(backend);

  it.each([
    ['POST', '/device', undefined, undefined],
    ['POST', '/device', 'application/json', '[1,2]'],
    ['POST', '/device', 'application/json', '{"user_code":{"a":1},"csrf_token":5}'],
    ['POST', '/device', 'application/x-www-form-urlencoded', `user_code=${'B'.repeat(5000)}`],
    ['POST', '/device/decision', 'application/x-www-form-urlencoded', 'user_code=BBBB-BBBB&decision=approve'],
    ['GET', `/device?user_code=${'%00'.repeat(100)}`, undefined, undefined],
    ['GET', '/device?user_code=a&user_code=b', undefined, undefined],
  ])('%s %s (%s) is a 4xx or a sign-in redirect, as HTML', async (method, url, type, payload) => {
    const res = await t.app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: type ? { 'content-type': type } : {},
      payload,
    });
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('text/html');
    else expect([302, 303]).toContain(res.statusCode);
  });

  it.each([
    [undefined, undefined],
    ['application/x-www-form-urlencoded', 'client_id=nobody&scope=%00'],
    ['application/x-www-form-urlencoded', `client_id=${'x'.repeat(5000)}`],
    ['application/json', '{"client_id":"x"}'],
    ['text/plain', 'client_id=x'],
  ])('POST /oauth/device_authorization (%s) answers the error shape', async (type, payload) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/device_authorization',
      headers: type ? { 'content-type': type } : {},
      payload,
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json()).toMatchObject({
      success: false,
      error: expect.any(String),
      error_description: expect.any(String),
    });
  });

  it('a huge or malformed device_code at the token endpoint is a 4xx', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=nobody&device_code=${'d'.repeat(9000)}`,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ success: false, error: 'invalid_client' });
  });
});
