import { beforeAll, expect, it } from 'vitest';
import { createKeyring } from '../../../src/crypto/keyring.js';
import { createGoogleCredentialsRepository } from '../../../src/repositories/google-credentials.js';
import { reencryptGoogleCredentials } from '../../../src/vault/reencrypt.js';
import { createApiKey } from '../../helpers/admin.js';
import { TEST_ENCRYPTION_KEYS } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { brokerCall, seedCredential, type SeededCredential } from '../../helpers/vault.js';

const KEY_A = { kid: 'test1', key: Buffer.from(TEST_ENCRYPTION_KEYS.split(':')[1]!, 'base64') };
const KEY_B = { kid: 'keyB', key: Buffer.alloc(32, 9) };
const ENV_B = `keyB:${KEY_B.key.toString('base64')}`;

describeBackends('re-encryption under a new key', (backend) => {
  const t = useTestApp(backend, { google: true });
  const seeded: SeededCredential[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) seeded.push(await seedCredential(t.app, t.google, `reencrypt.${i}@example.com`));
  }, 60_000);

  it('moves every credential and signing key from key A to key B in resumable batches; B alone then decrypts all', async () => {
    const before = await t.db.query<{ key_id: string }>('SELECT key_id FROM google_credentials');
    expect(before.rows.map((r) => r.key_id)).toEqual(Array(5).fill('test1'));
    const signingBefore = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM signing_keys WHERE encryption_key_id = 'test1'`,
    );
    expect(signingBefore.rows[0]!.n).toBeGreaterThan(0);

    const result = await reencryptGoogleCredentials({
      db: t.db,
      repos: t.app.repos,
      keyring: createKeyring([KEY_B, KEY_A]),
      batchSize: 2,
    });
    expect(result).toEqual({
      activeKid: 'keyB',
      googleCredentials: { reencrypted: 5, failed: [] },
      signingKeys: { reencrypted: signingBefore.rows[0]!.n, failed: [] },
      remaining: { googleCredentials: 0, signingKeys: 0 },
    });
    const rows = await t.db.query<{ key_id: string; access_token_enc: string; refresh_token_enc: string }>(
      'SELECT key_id, access_token_enc, refresh_token_enc FROM google_credentials',
    );
    for (const r of rows.rows) {
      expect(r.key_id).toBe('keyB');
      expect(r.access_token_enc.startsWith('keyB.')).toBe(true);
      expect(r.refresh_token_enc.startsWith('keyB.')).toBe(true);
    }

    // Key A removed: B alone opens every row, with the same plaintext.
    const onlyB = createKeyring([KEY_B]);
    const repo = createGoogleCredentialsRepository(t.db, onlyB);
    for (const s of seeded) {
      expect(await repo.decryptTokens(s.credential.id)).toEqual({
        accessToken: s.accessToken,
        refreshToken: s.refreshToken,
      });
    }
    const keys = await t.db.query<{ kid: string; private_key_enc: string; encryption_key_id: string }>(
      'SELECT kid, private_key_enc, encryption_key_id FROM signing_keys',
    );
    for (const k of keys.rows) {
      expect(k.encryption_key_id).toBe('keyB');
      expect(JSON.parse(onlyB.decrypt(k.private_key_enc, k.kid))).toMatchObject({ kid: k.kid, d: expect.any(String) });
    }

    // Resumable and idempotent: a second run finds nothing to do.
    const again = await reencryptGoogleCredentials({
      db: t.db,
      repos: t.app.repos,
      keyring: createKeyring([KEY_B, KEY_A]),
    });
    expect(again.googleCredentials.reencrypted + again.signingKeys.reencrypted).toBe(0);

    // An instance configured with key B only starts (it decrypts its signing key) and brokers.
    const b = await t.another({ env: { ENCRYPTION_KEYS: ENV_B } });
    try {
      const key = (await createApiKey(b.app)).api_key;
      const res = await brokerCall(b.app, key, seeded[0]!.user.id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().access_token).toBe(seeded[0]!.accessToken);
    } finally {
      await b.close();
    }
  });

  it('reports rows no configured key can open instead of looping on them', async () => {
    const strangerKeyring = createKeyring([{ kid: 'stranger', key: Buffer.alloc(32, 3) }]);
    const stranger = createGoogleCredentialsRepository(t.db, strangerKeyring);
    const s = await seedCredential(t.app, t.google, 'reencrypt.stranger@example.com');
    await stranger.save(
      { userId: s.user.id },
      { accessToken: 'ya29.other', expiresIn: 3600, refreshToken: '1//other' },
    );
    const result = await reencryptGoogleCredentials({
      db: t.db,
      repos: t.app.repos,
      keyring: createKeyring([KEY_B, KEY_A]),
      batchSize: 1,
    });
    expect(result.googleCredentials).toEqual({ reencrypted: 0, failed: [s.credential.id] });
    expect(result.remaining.googleCredentials).toBe(1);
  });
});
