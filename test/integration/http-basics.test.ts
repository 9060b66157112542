import { expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { expectApiError } from '../helpers/api-error.js';

describeBackends('HTTP basics', (backend) => {
  const t = useTestApp(backend, {
    file: { server: { body_limit_bytes: 2048 } },
    // A probe route standing in for any endpoint that takes a form or JSON body.
    extend: (app) => app.post('/_probe', async () => ({ success: true })),
  });

  it('GET /health answers 200 with a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /ready reports both backends up', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      status: 'ready',
      checks: {
        postgres: { status: 'up', backend: backend.name === 'real' ? 'postgres' : 'pglite' },
        redis: { status: 'up', backend: backend.name === 'real' ? 'redis' : 'memory' },
      },
    });
  });

  it('unknown routes are 404 not_found in the error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no/such/thing' });
    expectApiError(res, 404, 'not_found', 'no route for GET /no/such/thing');
  });

  it('an unsupported content type is 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/_probe',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ success: false, error: 'unsupported_media_type' });
  });

  it('a body over server.body_limit_bytes is 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/_probe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `a=${'x'.repeat(4096)}`,
    });
    expectApiError(res, 413, 'payload_too_large', 'request body exceeds 2048 bytes');
  });

  it('malformed JSON is 400 invalid_request without a stack', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/_probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ success: false, error: 'invalid_request' });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('a JSON body with __proto__ is refused', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/_probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__":{"x":1}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
  });

  it('a parameter sent twice is invalid_request (form body and query)', async () => {
    const form = await t.app.inject({
      method: 'POST',
      url: '/_probe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=a&grant_type=b',
    });
    expectApiError(form, 400, 'invalid_request', "parameter 'grant_type' was sent more than once");
    const query = await t.app.inject({ method: 'GET', url: '/health?x=1&x=2' });
    expect(query.statusCode).toBe(400);
    expect(query.json().error_description).toBe("parameter 'x' was sent more than once");
  });
});
