import { expect, it } from 'vitest';
import { invalidGrant } from '../../../src/oauth/errors.js';
import { registerClient } from '../../helpers/admin.js';
import { describeBackends } from '../../helpers/backends.js';
import { mintCode, pkcePair, postAs, seedUser } from '../../helpers/oauth.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { expectApiError } from '../../helpers/api-error.js';

describeBackends('ApiError detail: logged, never sent', (backend) => {
  const t = useTestApp(backend, {
    // A probe route standing in for any refusal that knows more than the caller may.
    extend: (app) =>
      app.post('/_refuse', async () => {
        throw invalidGrant('the grant is invalid', { detail: 'probe-detail-7f3a: the check that failed' });
      }),
  });

  it('answers with the public description only and logs the detail', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/_refuse' });
    expectApiError(res, 400, 'invalid_grant', 'the grant is invalid');
    expect(res.body).not.toContain('probe-detail-7f3a');
    expect(t.logs.text).toContain('probe-detail-7f3a: the check that failed');
  });

  it('a code of another client is refused like an unknown one (RFC 6749 §5.2), the reason only logged', async () => {
    const owner = await registerClient(t.app);
    const other = await registerClient(t.app);
    const user = await seedUser(t.db);
    const { verifier, challenge } = pkcePair();
    const code = await mintCode(t.db, { clientId: owner.client_id, userId: user.id, challenge });
    const res = await postAs(t.app, other, '/oauth/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://app.example.com/callback',
      code_verifier: verifier,
    });
    expectApiError(res, 400, 'invalid_grant', 'authorization code is invalid or expired');
    expect(t.logs.text).toContain('code of another client');
  });
});
