import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { basicAuth, registerClient } from '../helpers/admin.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * An unknown client id and a known client with a wrong secret must cost the same (one argon2
 * verification each), so response times do not reveal which client ids exist.
 */
describeBackends('client authentication timing', (backend) => {
  const t = useTestApp(backend, { env: { LOG_LEVEL: 'warn' } });
  let clientId: string;

  beforeAll(async () => {
    clientId = (await registerClient(t.app)).client_id;
  }, 60_000);

  async function time(id: string, ip: string): Promise<number> {
    const started = process.hrtime.bigint();
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: ip,
      headers: {
        authorization: basicAuth(id, `wrong-${Math.random()}`),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });
    expect(res.statusCode).toBe(401);
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  it('takes the same time for an unknown client and a wrong secret (within noise)', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, each from its own address so the failure limit never kicks in.
    for (let i = 0; i < 12; i++) {
      known.push(await time(clientId, `10.70.0.${i}`));
      unknown.push(await time('f'.repeat(40), `10.71.0.${i}`));
    }
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
    expect(t.app.secretHasher.argon2Verifications).toBeGreaterThanOrEqual(24);
  }, 120_000);
});
