import { beforeAll, expect, it } from 'vitest';
import { sessionIdHash } from '../../../src/repositories/sessions.js';
import { describeBackends } from '../../helpers/backends.js';
import { saveGoogleGrant } from '../../helpers/vault.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';
import { adminHeaders, registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { findInDatabase } from '../../helpers/db-scan.js';
import { introspectAs, mintCode, postAs, seedUser, type SeededUser, redeemCode } from '../../helpers/oauth.js';
import { expectApiError } from '../../helpers/api-error.js';

describeBackends('DELETE /users/:id', (backend) => {
  const t = useTestApp(backend, { google: true });
  let client: RegisteredClient;
  let resourceServer: RegisteredClient;

  beforeAll(async () => {
    client = await registerClient(t.app);
    resourceServer = await registerResourceServer(t.app);
  }, 60_000);

  const tokensFor = (user: SeededUser) => redeemCode(t, client, user.id);

  const introspect = (app: TestApp['app'], token: string) => introspectAs(app, resourceServer, token);

  /** A person with everything Gatehouse can hold about them. */
  async function fullyUsedUser() {
    const user = await seedUser(t.db);
    const tokens = await tokensFor(user);
    const second = await tokensFor(user);
    // a rotated refresh token, an unredeemed code, a consent, a session (cached), a Google grant
    const rotated = await postAs(t.app, client, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token,
    });
    expect(rotated.statusCode).toBe(200);
    await mintCode(t.db, { clientId: client.client_id, userId: user.id });
    await t.db.query(`INSERT INTO consents (user_id, client_id, scope) VALUES ($1, $2, 'openid')`, [
      user.id,
      client.client_id,
    ]);
    const { id: sessionId } = await t.app.sessions.create(user.id);
    const page = await t.app.inject({ method: 'GET', url: '/account', cookies: { gh_session: sessionId } });
    expect(page.statusCode).toBe(200);
    const { tokens: grant } = await saveGoogleGrant(t.app, t.google, {
      userId: user.id,
      googleEmail: user.email,
      email: user.email,
    });
    // audit events naming the person by id, email and username, in every column that can
    await t.db.query(
      `INSERT INTO audit_events (event, actor, subject, client_id, ip, details) VALUES
         ('login', $1, $1, $4, '10.1.2.3', jsonb_build_object('email', $2::text)),
         ('username_changed', 'admin', $3, NULL, NULL, '{}'),
         ('lookup', 'svc', 'other', NULL, NULL, jsonb_build_object('note', 'asked about ' || $2::text))`,
      [user.id, user.email, user.username, client.client_id],
    );
    return { user, tokens, sessionId, googleRefreshToken: grant.refresh_token! };
  }

  it('deletes every row that names the person, revokes their tokens and their Google grant', async () => {
    const { user, tokens, sessionId, googleRefreshToken } = await fullyUsedUser();
    const bystander = await seedUser(t.db);
    const bystanderTokens = await tokensFor(bystander);
    expect((await introspect(t.app, tokens.access_token)).active).toBe(true);
    t.google.control.reset();
    await t.app.auditLog.flush();
    const naming = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_events WHERE actor = ANY($1) OR subject = ANY($1)',
      [[user.id, user.email, user.username]],
    );
    expect(naming.rows[0]!.n).toBeGreaterThanOrEqual(2);

    const res = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, deleted: true });

    expect(await findInDatabase(t.db, [user.id, user.email, user.username])).toEqual([]);
    // Google saw the revocation, and the grant is gone there too.
    expect(t.google.control.calls('revoke')).toBe(1);
    await expect(t.app.google.refreshAccessToken(googleRefreshToken)).rejects.toMatchObject({ kind: 'invalid_grant' });
    // Tokens are refused at once here, and by an instance that only knows what Postgres says.
    expect(await introspect(t.app, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(t.app, tokens.refresh_token)).toEqual({ active: false });
    const other = await t.another({ ownConnections: true });
    try {
      expect(await introspect(other.app, tokens.access_token)).toEqual({ active: false });
    } finally {
      await other.close();
    }
    // The cached session is gone: the cookie signs no one in.
    expect(await t.cache.get(`session:${sessionIdHash(sessionId)}`)).toBeNull();
    const page = await t.app.inject({ method: 'GET', url: '/account', cookies: { gh_session: sessionId } });
    expect(page.statusCode).toBe(302);
    // The deletion is audited under a random reference, with nothing personal.
    const events = await t.db.query<{ actor: string; subject: string; details: Record<string, unknown> }>(
      `SELECT actor, subject, details FROM audit_events WHERE event = 'user_deleted' ORDER BY id DESC LIMIT 1`,
    );
    expect(events.rows[0]).toMatchObject({
      actor: 'admin',
      details: { token_families_revoked: 2, sessions_ended: 1, google_credential_deleted: true },
    });
    expect(events.rows[0]!.subject).toMatch(/^[0-9a-f-]{36}$/);
    const scrubbed = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE actor = $1 OR subject = $1`,
      [`deleted-user:${events.rows[0]!.subject}`],
    );
    expect(scrubbed.rows[0]!.n).toBe(naming.rows[0]!.n);
    expect(t.logs.text).not.toContain(user.email);
    expect(t.logs.text).not.toContain(googleRefreshToken);
    // Nobody else was touched.
    expect((await introspect(t.app, bystanderTokens.access_token)).active).toBe(true);
    expect(await t.app.repos.users.findById(bystander.id)).not.toBeNull();
  });

  it('still deletes when Google cannot be reached', async () => {
    const { user } = await fullyUsedUser();
    t.google.control.reset();
    t.google.control.failNext('revoke', 1, 'server_error');
    const res = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(await findInDatabase(t.db, [user.id, user.email])).toEqual([]);
    expect(t.logs.text).toContain('Google did not confirm revoking');
  });

  it('deletes a person who has nothing but a user row, without calling Google', async () => {
    const user = await seedUser(t.db);
    t.google.control.reset();
    const res = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(t.google.control.calls('revoke')).toBe(0);
    expect(await t.app.repos.users.findById(user.id)).toBeNull();
  });

  it('404 for an unknown or already deleted user; 401 without the admin key', async () => {
    const user = await seedUser(t.db);
    const anon = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}` });
    expect(anon.statusCode).toBe(401);
    expect(await t.app.repos.users.findById(user.id)).not.toBeNull();
    expect((await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders })).statusCode).toBe(
      200,
    );
    const again = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ success: false, error: 'not_found' });
    // Path parameters over the router's limit are refused before the route runs, in our shape.
    const long = await t.app.inject({ method: 'DELETE', url: `/users/${'x'.repeat(400)}`, headers: adminHeaders });
    expectApiError(long, 414, 'invalid_request', 'a path parameter is too long');
  });
});
