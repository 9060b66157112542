import { expect, it } from 'vitest';
import { describeBackends } from '../helpers/backends.js';
import { useTestApp } from '../helpers/use-test-app.js';
import { createApiKey } from '../helpers/admin.js';
import { brokerCall, seedCredential } from '../helpers/vault.js';

/** Fault 7: one damaged ciphertext row fails that subject clearly, and nobody else. */
describeBackends('a corrupted Google credential', (backend) => {
  const t = useTestApp(backend, { google: true, env: { LOG_LEVEL: 'warn' } });

  it('answers 500 server_error for that subject, logs the row id, and serves everyone else', async () => {
    const { api_key } = await createApiKey(t.app);
    const damaged = await seedCredential(t.app, t.google, 'damaged.row@example.com');
    const healthy = await seedCredential(t.app, t.google, 'healthy.row@example.com');
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
