import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from '../../helpers/admin.js';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { seedUser } from '../../helpers/oauth.js';
import { useTestApp } from '../../helpers/use-test-app.js';

describeBackends('admin API: users, connections, audit events, signing keys', (backend) => {
  const t = useTestApp(backend);
  const ids: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const user = await t.app.repos.users.upsertFromGoogle({
        sub: `admin-api-${i}`,
        email: `page.${i}@example.com`,
        emailVerified: true,
        name: i === 3 ? 'Ada Lovelace' : `Person ${i}`,
      });
      ids.push(user.id);
    }
    for (const id of ['conn-a', 'conn-b', 'conn-c']) await t.app.repos.connections.ensure(id, null);
  });

  const get = (url: string, headers: Record<string, string> = adminHeaders) =>
    t.app.inject({ method: 'GET', url, headers });

  describe('authentication', () => {
    it.each([
      ['GET', '/users'],
      ['GET', '/users/x'],
      ['POST', '/users/x/sign-out'],
      ['DELETE', '/users/x'],
      ['PATCH', '/clients/x'],
      ['GET', '/connections'],
      ['GET', '/audit-events'],
      ['GET', '/internal/signing-keys'],
      ['POST', '/internal/signing-keys'],
    ] as const)('%s %s without X-Admin-Key is 401 in the spec shape', async (method, url) => {
      // Its own address: failed admin-key attempts are limited per IP, and other tests use the default.
      const remoteAddress = `10.23.${url.length}.${method.length}`;
      const res = await t.app.inject({ method, url, remoteAddress });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        success: false,
        error: 'unauthorized',
        error_description: 'X-Admin-Key header required',
      });
      const wrong = await t.app.inject({ method, url, remoteAddress, headers: { 'x-admin-key': 'w'.repeat(40) } });
      expect(wrong.statusCode).toBe(401);
    });

    it('GET /connections with an API key instead of the admin key is refused', async () => {
      const res = await t.app.inject({
        url: '/connections',
        remoteAddress: '10.23.0.1',
        headers: { authorization: 'Bearer gh_nope_nope' },
      });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('users', () => {
    it('pages through every person with next_cursor, newest first, without repeats', async () => {
      const seen: string[] = [];
      let url = '/users?limit=2';
      for (let i = 0; i < 10; i++) {
        const res = await get(url);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<{ users: { id: string }[]; next_cursor: string | null }>();
        expect(body.users.length).toBeLessThanOrEqual(2);
        seen.push(...body.users.map((u) => u.id));
        if (!body.next_cursor) break;
        url = `/users?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('searches by name, email or exact id, case-insensitively; LIKE wildcards are literal', async () => {
      const byName = (await get('/users?query=ada%20LOVE')).json<{ users: { id: string }[] }>();
      expect(byName.users.map((u) => u.id)).toEqual([ids[3]]);
      const byEmail = (await get('/users?query=PAGE.1@')).json<{ users: { email: string }[] }>();
      expect(byEmail.users.map((u) => u.email)).toEqual(['page.1@example.com']);
      const byId = (await get(`/users?query=${ids[2]}`)).json<{ users: { id: string }[] }>();
      expect(byId.users.map((u) => u.id)).toEqual([ids[2]]);
      const wildcard = (await get('/users?query=%25')).json<{ users: unknown[] }>();
      expect(wildcard.users).toEqual([]);
    });

    it('rejects a foreign cursor and a bad limit with 400 invalid_request', async () => {
      for (const url of ['/users?cursor=not-a-cursor', '/users?limit=0', '/users?limit=1000', '/users?limit=x']) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
      }
    });

    it('shows one person with Google status, sessions and apps; 404 for an unknown id', async () => {
      await t.app.sessions.create(ids[0]!);
      const res = await get(`/users/${ids[0]}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().user).toMatchObject({
        id: ids[0],
        email: 'page.0@example.com',
        google: { status: 'not_connected', offline: false },
        apps: [],
      });
      expect(res.json().user.sessions).toHaveLength(1);
      expect((await get('/users/nobody')).statusCode).toBe(404);
    });

    it('signs a person out everywhere and audits it with the admin key as actor', async () => {
      await t.app.sessions.create(ids[1]!);
      await t.app.sessions.create(ids[1]!);
      const res = await t.app.inject({ method: 'POST', url: `/users/${ids[1]}/sign-out`, headers: adminHeaders });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ success: true, user_id: ids[1], sessions_ended: 2, families_revoked: 0 });
      const rows = await t.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [ids[1]]);
      expect(rows.rowCount).toBe(0);
      expect(await auditEvents(t)).toContainEqual(
        expect.objectContaining({
          event: 'admin_action',
          actor: 'admin-key',
          subject: ids[1],
          details: { action: 'user.sign_out', sessions: 2, families: 0 },
        }),
      );
      const unknown = await t.app.inject({ method: 'POST', url: '/users/nobody/sign-out', headers: adminHeaders });
      expect(unknown.statusCode).toBe(404);
    });

    it('answers an id longer than any id with 400 invalid_request on every one-person operation', async () => {
      const long = 'x'.repeat(129);
      for (const [method, url] of [
        ['GET', `/users/${long}`],
        ['POST', `/users/${long}/sign-out`],
        ['DELETE', `/users/${long}`],
      ] as const) {
        const res = await t.app.inject({ method, url, headers: adminHeaders });
        expect(res.statusCode, `${method} ${url}`).toBe(400);
        expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
      }
    });

    it('erases a person with DELETE /users/:id, audited with the admin key as actor under the deletion reference', async () => {
      const user = await seedUser(t.db);
      const res = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: true, deleted: true });
      const events = await auditEvents(t);
      const deletion = events.find((e) => e.event === 'admin_action' && e.details.action === 'user.delete');
      expect(deletion).toMatchObject({ actor: 'admin-key', details: { families_revoked: 0 } });
      expect(deletion!.subject).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(events)).not.toContain(user.id);
      const again = await t.app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: adminHeaders });
      expect(again.statusCode).toBe(404);
    });
  });

  describe('connections', () => {
    it('lists connections with status, paginated, filtered by status', async () => {
      const first = (await get('/connections?limit=2')).json<{
        connections: { connection_id: string; status: string }[];
        next_cursor: string;
      }>();
      expect(first.connections).toHaveLength(2);
      expect(first.connections[0]).toMatchObject({ status: 'not_connected', scopes: [] });
      const rest = (await get(`/connections?limit=2&cursor=${first.next_cursor}`)).json<{
        connections: { connection_id: string }[];
        next_cursor: string | null;
      }>();
      expect(rest.next_cursor).toBeNull();
      expect([...first.connections, ...rest.connections].map((c) => c.connection_id).sort()).toEqual([
        'conn-a',
        'conn-b',
        'conn-c',
      ]);
      const reauth = (await get('/connections?status=reauth_required')).json<{ connections: unknown[] }>();
      expect(reauth.connections).toEqual([]);
      expect((await get('/connections?status=bogus')).statusCode).toBe(400);
    });
  });

  it('pages rows made within one millisecond without skipping any (Postgres keeps microseconds)', async () => {
    for (const [i, id] of ['same-ms-1', 'same-ms-2', 'same-ms-3'].entries()) {
      await t.app.repos.connections.ensure(id, null);
      await t.db.query(`UPDATE connections SET created_at = $2::timestamptz WHERE id = $1`, [
        id,
        `2020-01-01T00:00:00.1231${i}5Z`,
      ]);
    }
    const seen: string[] = [];
    let url = '/connections?limit=1';
    for (let i = 0; i < 20; i++) {
      const body = (await get(url)).json<{ connections: { connection_id: string }[]; next_cursor: string | null }>();
      seen.push(...body.connections.map((c) => c.connection_id));
      if (!body.next_cursor) break;
      url = `/connections?limit=1&cursor=${body.next_cursor}`;
    }
    expect(seen.filter((id) => id.startsWith('same-ms-'))).toEqual(['same-ms-3', 'same-ms-2', 'same-ms-1']);

    for (const [i, id] of ids.slice(0, 3).entries())
      await t.db.query(`UPDATE users SET created_at = $2::timestamptz WHERE id = $1`, [
        id,
        `2020-01-01T00:00:00.1231${i}5Z`,
      ]);
    const users: string[] = [];
    let next = '/users?limit=1';
    for (let i = 0; i < 20; i++) {
      const body = (await get(next)).json<{ users: { id: string }[]; next_cursor: string | null }>();
      users.push(...body.users.map((u) => u.id));
      if (!body.next_cursor) break;
      next = `/users?limit=1&cursor=${body.next_cursor}`;
    }
    expect([...users].sort()).toEqual([...ids].sort());
  });

  describe('audit events', () => {
    it('filters by event, user (actor or subject), actor and time, newest first, with a cursor', async () => {
      for (let i = 0; i < 3; i++) t.app.audit({ event: 'logout', actor: ids[4], subject: ids[4], details: { n: i } });
      t.app.audit({ event: 'revoke', actor: 'someone-else', subject: ids[4] });
      await t.app.auditLog.flush();

      const page1 = (await get(`/audit-events?event=logout&user_id=${ids[4]}&limit=2`)).json<{
        events: { event: string; details: { n: number } }[];
        next_cursor: string;
      }>();
      expect(page1.events.map((e) => e.details.n)).toEqual([2, 1]);
      const page2 = (
        await get(`/audit-events?event=logout&user_id=${ids[4]}&limit=2&cursor=${page1.next_cursor}`)
      ).json<{ events: { details: { n: number } }[]; next_cursor: string | null }>();
      expect(page2.events.map((e) => e.details.n)).toEqual([0]);
      expect(page2.next_cursor).toBeNull();

      const byUser = (await get(`/audit-events?user_id=${ids[4]}`)).json<{ events: unknown[] }>();
      expect(byUser.events).toHaveLength(4);
      const byActor = (await get('/audit-events?actor=someone-else')).json<{ events: { event: string }[] }>();
      expect(byActor.events.map((e) => e.event)).toEqual(['revoke']);
      const future = (await get('/audit-events?since=2999-01-01T00:00:00Z')).json<{ events: unknown[] }>();
      expect(future.events).toEqual([]);
    });

    it('rejects unknown events, bad times, since after until and foreign cursors', async () => {
      for (const url of [
        '/audit-events?event=not_an_event',
        '/audit-events?since=yesterday',
        '/audit-events?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
        `/audit-events?cursor=${Buffer.from(JSON.stringify({ at: new Date().toISOString(), id: 'x' })).toString('base64url')}`,
      ]) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json()).toMatchObject({ success: false, error: 'invalid_request' });
      }
    });
  });

  describe('signing keys', () => {
    it('lists keys without key material and rotates them, audited', async () => {
      const before = (await get('/internal/signing-keys')).json<{ signing_keys: { kid: string; status: string }[] }>();
      const rotated = await t.app.inject({ method: 'POST', url: '/internal/signing-keys', headers: adminHeaders });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const { rotated: results } = rotated.json<{
        rotated: { alg: string; kid: string; retired_kid: string | null }[];
      }>();
      // Every asymmetric algorithm in use (access tokens and the ID-token algorithms) rotates at once.
      expect(results.map((r) => r.alg)).toContain('ES256');
      for (const r of results) expect(r.retired_kid).toBeTruthy();

      const after = await get('/internal/signing-keys');
      expect(after.body).not.toMatch(/private|"d"/);
      const keys = after.json<{ signing_keys: { kid: string; algorithm: string; status: string }[] }>().signing_keys;
      const active = keys.filter((k) => k.status === 'active');
      expect(active.map((k) => k.kid).sort()).toEqual(results.map((r) => r.kid).sort());
      expect(keys.length).toBe(before.signing_keys.length + results.length);
      expect(await auditEvents(t)).toContainEqual(
        expect.objectContaining({ event: 'admin_action', actor: 'admin-key', subject: results[0]!.kid }),
      );
    });
  });

  it('documents every new operation in /openapi.json with the admin key and the error shape', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { security: unknown; summary: string; tags: string[]; responses: object }>>;
    }>();
    for (const [path, method] of [
      ['/users', 'get'],
      ['/users/{id}', 'get'],
      ['/users/{id}/sign-out', 'post'],
      ['/users/{id}', 'delete'],
      ['/clients/{id}', 'patch'],
      ['/connections', 'get'],
      ['/audit-events', 'get'],
      ['/internal/signing-keys', 'get'],
      ['/internal/signing-keys', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.security).toEqual([{ adminKey: [] }]);
      expect(op!.summary).toBeTruthy();
      expect(op!.tags.length).toBeGreaterThan(0);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['200', '401']));
    }
  });
});
