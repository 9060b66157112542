import { expect, it } from 'vitest';
import { basicAuth, createApiKey, registerClient } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { FORM, form } from '../../helpers/oauth.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { brokerCall } from '../../helpers/vault.js';

/**
 * A busy service meets a freshly started instance (a deploy, a scale-out): its first burst all
 * carries one right credential that this process has not verified yet. The failure limits count
 * an attempt before it is checked, so unless concurrent first uses of one credential share one
 * check, everything past the limit (20) is refused 429 although nothing was ever wrong.
 */
describeBackends('first use of a right credential in a burst (product rule "Abuse limits")', (backend) => {
  const t = useTestApp(backend);
  const BURST = 50;

  it('50 concurrent calls with one right API key on a fresh instance: all served, one argon2 run', async () => {
    const key = (await createApiKey(t.app)).api_key;
    const fresh = await t.another({ ownConnections: true });
    const argonBefore = fresh.app.secretHasher.argon2Verifications;
    // No such person: 404 means the key was accepted and the broker looked the subject up.
    const statuses = await Promise.all(
      Array.from({ length: BURST }, () => brokerCall(fresh.app, key, 'nobody-by-this-name').then((r) => r.statusCode)),
    );
    expect(statuses).toEqual(Array(BURST).fill(404));
    expect(fresh.app.secretHasher.argon2Verifications - argonBefore).toBe(1);
  });

  it('50 concurrent client_credentials requests with one right secret on a fresh instance: all served, one argon2 run', async () => {
    const client = await registerClient(t.app);
    const fresh = await t.another({ ownConnections: true });
    const argonBefore = fresh.app.secretHasher.argon2Verifications;
    const statuses = await Promise.all(
      Array.from({ length: BURST }, () =>
        fresh.app
          .inject({
            method: 'POST',
            url: '/oauth/token',
            headers: { ...FORM, authorization: basicAuth(client.client_id, client.client_secret!) },
            payload: form({ grant_type: 'client_credentials' }),
          })
          .then((r) => r.statusCode),
      ),
    );
    expect(statuses).toEqual(Array(BURST).fill(200));
    expect(fresh.app.secretHasher.argon2Verifications - argonBefore).toBe(1);
  });

  it('a burst of one wrong API key is one failure, not fifty: the right key still works afterwards', async () => {
    const { api_key: key } = await createApiKey(t.app);
    const wrong = `${key.slice(0, -4)}AAAA`;
    const ip = '10.70.0.1';
    const call = (k: string) =>
      t.app.inject({
        method: 'GET',
        url: '/tokens/nobody',
        remoteAddress: ip,
        headers: { authorization: `Bearer ${k}` },
      });
    const statuses = await Promise.all(Array.from({ length: BURST }, () => call(wrong).then((r) => r.statusCode)));
    expect(statuses).toEqual(Array(BURST).fill(401));
    expect((await call(key)).statusCode).toBe(404);
  });
});
