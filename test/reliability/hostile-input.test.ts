import { beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { registerClient } from '../helpers/admin.js';

const STACK = /\bat [^\s]+ \(?[^\s]*:\d+:\d+\)?|node_modules|\.ts:\d+/;
const BIG = 'x'.repeat(64 * 1024);
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\r\n',
  'a\r\nSet-Cookie: x=1',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '__proto__',
  'constructor',
  '%00',
  '%C3%28',
  '%FF%FE',
  '\uD800',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  BIG,
  '🙂'.repeat(100),
  '-1',
  '1e309',
  'null',
);
/** encodeURIComponent that survives lone surrogates (sent as the UTF-8 of U+FFFD). */
const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
};
const text = fc.oneof(fc.string({ maxLength: 40 }), nasty);

/** Random form bodies: repeated names, invalid percent-encoding, huge and control values. */
const formBody = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'grant_type',
          'code',
          'client_id',
          'client_secret',
          'token',
          'refresh_token',
          'scope',
          'redirect_uri',
          'code_verifier',
          'subject',
          '__proto__',
        ),
        text,
      ),
      text,
    ),
    { maxLength: 8 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${v.startsWith('%') ? v : enc(v)}`).join('&'));

/** Random JSON bodies, including prototype keys and deep or odd values. */
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(text, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 })), {
      maxKeys: 6,
    })
    .map((o) => JSON.stringify(o)),
  fc.constantFrom(
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"a":',
    '[1,2',
    '"\\ud800"',
    `{"access_token":"${BIG}"}`,
  ),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  text.map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
  fc.tuple(text, text).map(([a, b]) => `Basic ${Buffer.from(`${a}:${b}`).toString('base64')}`),
  text.map((t) => `Bearer ${t}`),
  fc.constantFrom(
    'Basic',
    'Bearer',
    'Basic !!!',
    `Basic ${BIG}`,
    `Bearer gh_000000000000_${'A'.repeat(43)}`,
    'Digest x',
    'Bearer a.b.c',
  ),
);

const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  undefined,
);

describeBackends('hostile input', (backend) => {
  // Every route the app registers, pages and the dev-mode mock Google included (the OpenAPI
  // document leaves those out, and they take input too).
  const routes: { method: string; path: string }[] = [];
  const t = useTestApp(backend, {
    env: { LOG_LEVEL: 'warn' },
    onRoute: (r) => {
      for (const method of [r.method].flat())
        if (['GET', 'POST', 'DELETE', 'PUT', 'PATCH'].includes(method) && !r.url.startsWith('/docs'))
          routes.push({ method, path: r.url });
    },
  });

  beforeAll(async () => {
    await registerClient(t.app);
    expect(routes.length).toBeGreaterThan(20);
  }, 60_000);

  it('answers thousands of generated requests without a 500, a stack, or a slow response', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.dictionary(text, text, { maxKeys: 4 }),
        fc.boolean(),
        authorization,
        contentType,
        fc.oneof(formBody, jsonBody, text),
        fc.constantFrom('10.50.0.1', '10.50.0.2', '10.50.0.3'),
        async (pick, query, duplicate, auth, type, body, ip) => {
          const route = routes[pick % routes.length]!;
          const path = route.path.replace(/\{[^}]+\}|:[A-Za-z]+/g, () => enc(Object.keys(query)[0] ?? 'x'));
          let qs = Object.entries(query)
            .map(([k, v]) => `${enc(k)}=${enc(v)}`)
            .join('&');
          if (duplicate && qs) qs += `&${qs}`;
          const headers: Record<string, string> = {};
          if (auth) headers.authorization = auth;
          if (type && route.method !== 'GET') headers['content-type'] = type;
          const started = Date.now();
          const res = await t.app.inject({
            method: route.method as 'GET',
            url: `${path}${qs ? `?${qs}` : ''}`,
            headers,
            payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : body,
            remoteAddress: ip,
          });
          const ms = Date.now() - started;
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          const where = `${route.method} ${route.path} → ${res.statusCode}`;
          expect(res.statusCode, where).not.toBe(500);
          expect(res.statusCode, where).toBeLessThan(504);
          expect(res.body, where).not.toMatch(STACK);
          expect(ms, where).toBeLessThan(5000);
          // The dev-mode mock Google answers in Google's shape on purpose; everything else in ours.
          const ours = !route.path.startsWith('/_dev/google');
          if (ours && res.statusCode >= 400 && res.headers['content-type']?.toString().includes('application/json')) {
            const json = res.json();
            expect(json, where).toMatchObject({
              success: false,
              error: expect.any(String),
              error_description: expect.any(String),
            });
          }
        },
      ),
      { numRuns: 1500, interruptAfterTimeLimit: 240_000 },
    );
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    // the run reached both the success and the refusal paths
    expect([...seen.keys()].some((s) => s < 300)).toBe(true);
    expect([...seen.keys()].some((s) => s >= 400)).toBe(true);
  }, 300_000);
});
