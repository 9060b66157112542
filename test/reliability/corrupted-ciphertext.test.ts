import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockGoogle, type StandaloneMockGoogle } from '../../src/google/mock/index.js';
import { describeBackends } from '../helpers/backends.js';
import { buildTestApp, openStorage, type TestApp, type TestStorage } from '../helpers/app.js';
import { createApiKey } from '../helpers/admin.js';
import { brokerCall, seedCredential } from '../helpers/vault.js';

/** Fault 7: one damaged ciphertext row fails that subject clearly, and nobody else. */
describeBackends('a corrupted Google credential', (backend) => {
  let storage: TestStorage;
  let mock: StandaloneMockGoogle;
  let t: TestApp;

  beforeAll(async () => {
    storage = await openStorage(backend);
    mock = await startMockGoogle();
    t = await buildTestApp(storage, { env: { ...mock.env, LOG_LEVEL: 'warn' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await mock?.close();
    await storage?.close();
  });

  it('answers 500 server_error for that subject, logs the row id, and serves everyone else', async () => {
    const { api_key } = await createApiKey(t.app);
    const damaged = await seedCredential(t.app, mock, 'damaged.row@example.com');
    const healthy = await seedCredential(t.app, mock, 'healthy.row@example.com');
    // Flip one character of the ciphertext body (base64url), as a disk or a bad restore might.
    await t.db.query(
      `UPDATE google_credentials SET access_token_enc = overlay(access_token_enc placing
         (CASE WHEN substr(access_token_enc, length(access_token_enc) - 5, 1) = 'A' THEN 'B' ELSE 'A' END)
         from length(access_token_enc) - 5 for 1) WHERE id = $1`,
      [damaged.credential.id],
    );

    const bad = await brokerCall(t.app, api_key, damaged.user.id);
    expect(bad.statusCode).toBe(500);
    expect(bad.json()).toEqual({ success: false, error: 'server_error', error_description: 'internal server error' });
    expect(bad.body).not.toContain(damaged.credential.id);
    expect(t.logs.text).toContain(`google_credentials row ${damaged.credential.id}`);
    expect(t.logs.text).not.toContain(damaged.accessToken);

    const good = await brokerCall(t.app, api_key, healthy.user.id);
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json().access_token).toBe(healthy.accessToken);
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
