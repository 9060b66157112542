import { expect, it } from 'vitest';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { Browser, readForm } from '../../helpers/browser.js';
import { signInWithGoogle } from '../../helpers/google.js';
import { useTestApp } from '../../helpers/use-test-app.js';

describeBackends('browser sign-in is audited', (backend) => {
  // Dev mode: the built-in mock Google signs anyone in.
  const t = useTestApp(backend, { listen: true, env: { NODE_ENV: 'development' } });

  const userIdOf = async (email: string) =>
    (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;

  it('records a successful sign-in and a sign-out with the person as actor', async () => {
    const browser = new Browser();
    const steps = await signInWithGoogle(browser, t.url, 'audit.in@example.com');
    expect(steps.callback.status).toBe(302);
    const id = await userIdOf('audit.in@example.com');
    expect(await auditEvents(t)).toContainEqual(
      expect.objectContaining({ event: 'browser_sign_in', actor: id, subject: id }),
    );

    const form = readForm((await browser.get(`${t.url}/account`)).text, t.url);
    expect((await browser.post(`${t.url}/logout`, form.fields)).status).toBe(303);
    expect(await auditEvents(t)).toContainEqual(
      expect.objectContaining({ event: 'browser_sign_out', actor: id, subject: id }),
    );
  });

  it('records a cancelled sign-in and a forged callback as failures, with the reason', async () => {
    const cancelled = await signInWithGoogle(new Browser(), t.url, 'audit.deny@example.com', { decision: 'deny' });
    expect(cancelled.callback.status).toBe(400);
    const forged = await signInWithGoogle(new Browser(), t.url, 'audit.forged@example.com', {
      beforeCallback: (url) => {
        url.searchParams.set('state', 'not-the-state');
      },
    });
    expect(forged.callback.status).toBe(400);
    const stale = await new Browser().get(`${t.url}/auth/google/callback?code=x&state=y`);
    expect(stale.status).toBe(400);

    const failures = (await auditEvents(t)).filter((e) => e.event === 'browser_sign_in_failed');
    expect(failures.map((e) => e.details.reason)).toEqual(
      expect.arrayContaining(['access_denied', 'state_mismatch', 'state_cookie_missing']),
    );
    // No person is known for a failed sign-in, and nothing secret is recorded.
    for (const e of failures) expect(e.actor).toBeNull();
    expect(JSON.stringify(failures)).not.toContain('not-the-state');
  });

  it('records session expiry once, when a request finds the session expired', async () => {
    const browser = new Browser();
    await signInWithGoogle(browser, t.url, 'audit.idle@example.com');
    const id = await userIdOf('audit.idle@example.com');
    const hash = sha256Hex(browser.jar.get('gh_session')!.value);
    await t.db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id_hash = $1`, [hash]);
    await t.cache.del(`session:${hash}`);
    expect((await browser.get(`${t.url}/account`)).status).toBe(302);
    expect((await browser.get(`${t.url}/account`)).status).toBe(302);

    const expired = (await auditEvents(t)).filter((e) => e.event === 'session_expired' && e.subject === id);
    expect(expired).toEqual([expect.objectContaining({ details: { limit: 'idle' } })]);
  });
});
