import { createHash } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { TEST_ADMIN_KEY } from '../../helpers/app.js';
import { createApiKey } from '../../helpers/admin.js';

/** Values in the formats Gatehouse and Google use, each unique to this file. */
const SHAPED = {
  apiKey: `gh_0123456789ab_${'Q'.repeat(43)}`,
  googleAccess: 'ya29.a0AfH6SMBx-log-redaction-test-value',
  googleRefresh: '1//0gLogRedactionTestRefreshValue-xyz',
  jwt: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsb2ctcmVkYWN0aW9uIn0.c2lnbmF0dXJlLWxvZy1yZWRhY3Rpb24',
};

const tag = (subject: string) => `sha256:${createHash('sha256').update(subject).digest('hex').slice(0, 12)}`;

describeBackends('secrets never in logs, wherever they are sent', (backend) => {
  const t = useTestApp(backend);
  let apiKey: string;
  beforeAll(async () => {
    apiKey = (await createApiKey(t.app)).api_key;
  }, 60_000);

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers, remoteAddress: '10.77.0.1' });

  it('masks the admin key and other secrets sent as query parameters (GET /clients?x-admin-key=<key>, /metrics?admin_key=…)', async () => {
    const before = t.logs.lines.length;
    await get(`/clients?x-admin-key=${TEST_ADMIN_KEY}`);
    await get(`/metrics?admin_key=${TEST_ADMIN_KEY}`);
    await get(`/clients?key=${TEST_ADMIN_KEY}&page=2`);
    await get(`/clients?authorization=${encodeURIComponent(`Bearer ${apiKey}`)}`);
    await get(`/clients?X-Admin-Key=${TEST_ADMIN_KEY}&api_key=${apiKey}&signature=s1g-value-1&otp=991827`);
    const text = t.logs.lines.slice(before).join('\n');
    expect(text).toContain('/clients?x-admin-key=[REDACTED]');
    expect(text).toContain('/metrics?admin_key=[REDACTED]');
    expect(text).toContain('/clients?key=[REDACTED]&page=2');
    expect(text).not.toContain(TEST_ADMIN_KEY);
    expect(text).not.toContain(apiKey);
    // The secret part alone (gh_<12 hex>_<43 base64url>; split('_') would cut a secret that holds '_').
    expect(text).not.toContain(apiKey.slice('gh_'.length + 12 + 1));
    expect(text).not.toContain('s1g-value-1');
    expect(text).not.toContain('991827');
  });

  it('masks values in secret formats under any name, in URLs and in logged objects', async () => {
    t.app.log
      .child({ harmless: 'x' })
      .info({ note: `upstream said ${SHAPED.googleAccess}`, list: [SHAPED.jwt] }, 'shapes in fields');
    const before = t.logs.lines.length;
    await get(
      `/clients?q=${SHAPED.apiKey}&x=${SHAPED.googleAccess}&y=${encodeURIComponent(SHAPED.googleRefresh)}&z=${SHAPED.jwt}&page=3`,
    );
    t.app.log.info(
      { note: `upstream said ${SHAPED.googleAccess}`, list: [SHAPED.jwt, SHAPED.googleRefresh] },
      'shapes in fields',
    );
    const text = t.logs.lines.slice(before).join('\n');
    expect(text).toContain('page=3');
    expect(text).toContain('shapes in fields');
    for (const [name, value] of Object.entries(SHAPED)) expect(text, `${name} leaked`).not.toContain(value);
    expect(text).not.toContain(encodeURIComponent(SHAPED.googleRefresh));
  });

  it('logs /tokens/<email> and /connections/<id>/token with the subject hashed', async () => {
    const email = 'person.to.hide@example.com';
    const before = t.logs.lines.length;
    const headers = { authorization: `Bearer ${apiKey}` };
    await get(`/tokens/${encodeURIComponent(email)}`, headers);
    await get(`/tokens/${email}?refresh=true`, headers);
    await get('/connections/shop-branch-7/token', headers);
    const text = t.logs.lines.slice(before).join('\n');
    expect(text).not.toContain(email);
    expect(text).not.toContain(encodeURIComponent(email));
    expect(text).not.toContain('shop-branch-7');
    expect(text).toContain(`/tokens/${tag(email)}`);
    expect(text).toContain(`/tokens/${tag(email)}?refresh=true`);
    expect(text).toContain(`/connections/${tag('shop-branch-7')}/token`);
  });
});
