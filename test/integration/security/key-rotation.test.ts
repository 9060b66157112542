import { beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../helpers/admin.js';
import { TEST_ENCRYPTION_KEYS, type TestApp } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestStorage } from '../../helpers/use-test-app.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';

const OLD = TEST_ENCRYPTION_KEYS;
const NEW = `test2:${Buffer.alloc(32, 9).toString('base64')}`;

/**
 * A rolling deploy of a new ENCRYPTION_KEYS entry: instances on the old keyring and on the new
 * one share Postgres and Redis while the deploy rolls.
 */
describeBackends('ENCRYPTION_KEYS rotation on a rolling deploy', (backend) => {
  const fleet = useTestStorage(backend, { google: true });
  let key: string;
  let seq = 0;

  const instance = (keys: string) => fleet.build({ ownConnections: true, env: { ENCRYPTION_KEYS: keys } });

  beforeAll(async () => {
    // The fleet before the rotation; it creates the signing key under the old key.
    const first = await instance(OLD);
    key = (await createApiKey(first.app)).api_key;
  }, 60_000);

  /** A person whose credential an old-keyring instance stored, then a new-first instance refreshed. */
  async function reencryptedByNewInstance(oldInstance: TestApp, newInstance: TestApp) {
    const s = await seedCredential(oldInstance.app, fleet.google, `rotation.${++seq}.${backend.name}@example.com`);
    const refreshed = await brokerCall(newInstance.app, key, s.user.id, 'refresh');
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const { rows } = await newInstance.db.query<{ access_token_enc: string; refresh_token_enc: string }>(
      'SELECT access_token_enc, refresh_token_enc FROM google_credentials WHERE id = $1',
      [s.credential.id],
    );
    expect(rows[0]!.access_token_enc.startsWith('test2.')).toBe(true);
    expect(rows[0]!.refresh_token_enc.startsWith('test2.')).toBe(true);
    return { ...s, token: refreshed.json().access_token as string };
  }

  it('one step (new key first on one instance): an old instance answers 503 with a logged cause, never 500', async () => {
    const oldInstance = await instance(OLD);
    const newFirst = await instance(`${NEW},${OLD}`);
    const s = await reencryptedByNewInstance(oldInstance, newFirst);
    const res = await brokerCall(oldInstance.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json()).toEqual({
      success: false,
      error: 'unavailable',
      error_description:
        'this instance cannot decrypt the stored credential (an encryption key rotation is in progress); try again shortly',
    });
    expect(oldInstance.logs.text).toContain('finish the ENCRYPTION_KEYS rotation');
    expect(oldInstance.logs.text).toContain(`google_credentials row ${s.credential.id}: unknown encryption key id`);
    expect(oldInstance.logs.text).toContain(`"missingKid":"test2"`);
    expect(oldInstance.logs.text).not.toContain(s.token);
  });

  it('two steps (first add the new key after the active one everywhere, then make it first): every instance serves', async () => {
    const stepOne = await instance(`${OLD},${NEW}`);
    const stepTwo = await instance(`${NEW},${OLD}`);
    const s = await reencryptedByNewInstance(stepOne, stepTwo);
    const res = await brokerCall(stepOne.app, key, s.user.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().access_token).toBe(s.token);
  });
});
