import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders } from '../../helpers/admin.js';

const PROXY = '10.9.0.1';

describeBackends('TRUST_PROXY', (backend) => {
  const oneHop = useTestApp(backend, { env: { TRUST_PROXY: '1' } });
  let listed: TestApp;
  beforeAll(async () => {
    listed = await oneHop.another({ env: { TRUST_PROXY: `${PROXY},10.8.0.0/16` } });
  }, 60_000);

  /** A caller behind one proxy: it writes any X-Forwarded-For it likes, the proxy appends the real address. */
  const viaProxy = (t: TestApp, spoofed: string, real: string, key: string) =>
    t.app.inject({
      method: 'GET',
      url: '/clients',
      remoteAddress: PROXY,
      headers: { 'x-admin-key': key, 'x-forwarded-for': `${spoofed}, ${real}` },
    });

  it('TRUST_PROXY=1: rotating X-Forwarded-For does not defeat the admin-key limit (10 failures per IP per minute)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push((await viaProxy(oneHop, `198.51.100.${i}`, '203.0.113.7', `guess-${i}`)).statusCode);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    // The right key from that address waits out the window too; another address behind the proxy does not.
    expect((await viaProxy(oneHop, '198.51.100.99', '203.0.113.7', adminHeaders['x-admin-key'])).statusCode).toBe(429);
    expect((await viaProxy(oneHop, '198.51.100.99', '203.0.113.8', adminHeaders['x-admin-key'])).statusCode).toBe(200);
  });

  it('a list of proxies: X-Forwarded-For is believed only from those addresses', async () => {
    const probe = (remoteAddress: string, xff: string) =>
      listed.app.inject({
        method: 'GET',
        url: '/clients',
        remoteAddress,
        headers: { 'x-admin-key': 'wrong', 'x-forwarded-for': xff },
      });
    // From a listed proxy, each proxied address has its own budget.
    for (let i = 0; i < 10; i++) expect((await probe(PROXY, '203.0.113.20')).statusCode).toBe(401);
    expect((await probe(PROXY, '203.0.113.20')).statusCode).toBe(429);
    expect((await probe('10.8.3.4', '203.0.113.21')).statusCode).toBe(401);
    // A caller that is not a listed proxy cannot move its failures onto someone else's address.
    for (let i = 0; i < 10; i++) expect((await probe('192.0.2.50', `203.0.113.${100 + i}`)).statusCode).toBe(401);
    expect((await probe('192.0.2.50', '203.0.113.200')).statusCode).toBe(429);
  });
});
