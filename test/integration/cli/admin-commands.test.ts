import { userInfo } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliContext } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/run.js';
import { registerClient, registerResourceServer, type RegisteredClient } from '../../helpers/admin.js';
import { auditEvents } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { postAs, redeemCode, seedUser } from '../../helpers/oauth.js';
import { useTestApp } from '../../helpers/use-test-app.js';

/*
 * The admin commands run in-process through runCli (the entry the `gatehouse` bin uses), on this
 * file's database and cache: the same command code as a spawned CLI, without a process per case.
 * test/e2e/cli.test.ts covers the process itself (configuration, exit, PGlite on disk).
 */
describeBackends('CLI admin commands, in-process', (backend) => {
  const t = useTestApp(backend);
  const actor = `cli:${userInfo().username}`;
  let resourceServer: RegisteredClient;

  beforeAll(async () => {
    resourceServer = await registerResourceServer(t.app);
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, () =>
      CliContext.over(t.config, { db: t.db, cache: t.cache }),
    );
    const stdout = out.join('\n');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { code, stdout, stderr: err.join('\n'), json: (): any => JSON.parse(stdout) };
  }

  const adminActions = async (action: string) =>
    (await auditEvents(t)).filter((e) => e.event === 'admin_action' && e.details.action === action);

  describe('arguments and help', () => {
    it.each([
      [['users', 'delete'], 'expected <user id>'],
      [['users', 'show', 'a', 'b'], 'expected <user id>'],
      [['clients', 'purge'], 'expected <client id>'],
      [['connections', 'link', 'not a connection'], 'is not a connection id'],
      [['keys', 'list', 'extra'], "unexpected argument 'extra'"],
      [['audit', 'tail', '--event', 'nothing_happened'], "--event 'nothing_happened' is not an audit event name"],
    ])('%j exits 2 with the problem on stderr and nothing on stdout', async (args, message) => {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
    });

    it('--help lists users delete and clients purge; clients create --help lists --post-logout-redirect-url', async () => {
      const all = await cli('--help');
      expect(all.code).toBe(0);
      for (const name of ['users show', 'users delete', 'clients purge', 'audit tail', 'keys list'])
        expect(all.stdout).toContain(name);
      expect((await cli('users', 'delete', '--help')).stdout).toContain('usage: gatehouse users delete <user id>');
      const create = await cli('clients', 'create', '--help');
      expect(create.stdout).toMatch(/usage: gatehouse clients create .*\[--post-logout-redirect-url <url>…\]/);
      expect(create.stdout).toContain('  --post-logout-redirect-url');
    });
  });

  describe('users show / delete', () => {
    it('show prints the person and never a token; an unknown id exits 2', async () => {
      const user = await seedUser(t.db, { name: 'Grace Hopper' });
      const r = await cli('users', 'show', user.id);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toMatchObject({
        success: true,
        user: { id: user.id, email: user.email, name: 'Grace Hopper', google: { status: 'not_connected' } },
      });
      expect(r.stdout).not.toMatch(/token"\s*:\s*"/);
      const unknown = await cli('users', 'show', 'no-such-user');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("no user 'no-such-user'");
    });

    it('delete erases the person, ends their tokens and is audited with the CLI actor under a reference', async () => {
      const user = await seedUser(t.db);
      const client = await registerClient(t.app);
      const tokens = await redeemCode(t, client, user.id);
      await t.app.sessions.create(user.id);

      const r = await cli('users', 'delete', user.id);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toEqual({
        success: true,
        deleted: true,
        reference: expect.any(String),
        families_revoked: 1,
      });
      expect(await t.app.repos.users.findById(user.id)).toBeNull();
      const sessions = await t.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [user.id]);
      expect(sessions.rows).toEqual([]);
      const introspected = await postAs(t.app, resourceServer, '/oauth/introspect', { token: tokens.access_token });
      expect(introspected.json()).toEqual({ active: false });

      const [event] = (await adminActions('user.delete')).filter((e) => e.subject === r.json().reference);
      expect(event).toMatchObject({ actor, subject: r.json().reference, details: { families_revoked: 1 } });
      // Erasure: nothing left in the trail names the person.
      expect(JSON.stringify(await auditEvents(t))).not.toContain(user.id);

      const again = await cli('users', 'delete', user.id);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('not_found: no such user');
    });
  });

  describe('clients purge', () => {
    it('disables the client, deletes its tokens and consents, prints the counts, audited with the CLI actor', async () => {
      const user = await seedUser(t.db);
      const client = await registerClient(t.app);
      const tokens = await redeemCode(t, client, user.id);

      const r = await cli('clients', 'purge', client.client_id);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toMatchObject({
        success: true,
        client_id: client.client_id,
        disabled: true,
        purged: { token_families_revoked: 1, refresh_tokens: 1 },
      });
      const left = await t.db.query('SELECT 1 FROM refresh_tokens WHERE client_id = $1', [client.client_id]);
      expect(left.rows).toEqual([]);
      expect((await t.app.repos.clients.findById(client.client_id))?.disabled).toBe(true);
      const introspected = await postAs(t.app, resourceServer, '/oauth/introspect', { token: tokens.access_token });
      expect(introspected.json()).toEqual({ active: false });
      expect(await adminActions('client.purge')).toEqual([
        expect.objectContaining({ actor, client_id: client.client_id }),
      ]);

      const unknown = await cli('clients', 'purge', 'no-such-client');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('not_found');
    });
  });

  describe('connections list / link / delete', () => {
    it('link issues a connect link audited with the CLI actor; list shows the connection; delete removes it', async () => {
      await t.app.repos.connections.ensure('cli-branch-1', null);
      const link = await cli('connections', 'link', 'cli-branch-1', '--return-to', 'https://shop.example/done');
      expect(link.code, link.stderr).toBe(0);
      expect(link.json()).toEqual({
        success: true,
        connection_id: 'cli-branch-1',
        connect_url: expect.stringMatching(new RegExp(`^${t.config.public_url}/connect\\?token=`)),
        expires_at: expect.any(String),
      });
      const linked = (await auditEvents(t)).filter(
        (e) => e.event === 'connection_link_created' && e.subject === 'cli-branch-1',
      );
      expect(linked).toEqual([expect.objectContaining({ actor })]);

      const listed = await cli('connections', 'list');
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json().connections).toContainEqual(
        expect.objectContaining({ connection_id: 'cli-branch-1', status: 'not_connected', created_by_api_key: null }),
      );

      const deleted = await cli('connections', 'delete', 'cli-branch-1');
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.json()).toMatchObject({ success: true, connection_id: 'cli-branch-1', deleted: true });
      expect(await t.app.repos.connections.find('cli-branch-1')).toBeNull();
      const after = await cli('connections', 'list');
      expect(after.json().connections.map((c: { connection_id: string }) => c.connection_id)).not.toContain(
        'cli-branch-1',
      );
    });
  });

  describe('audit tail and keys list', () => {
    it("audit tail --actor shows the CLI's own actions, newest first, and --limit bounds them", async () => {
      await cli('clients', 'disable', (await registerClient(t.app)).client_id);
      await cli('clients', 'disable', (await registerClient(t.app)).client_id);
      const r = await cli('audit', 'tail', '--actor', actor, '--limit', '2');
      expect(r.code, r.stderr).toBe(0);
      const events = r.json().events as { id: string; actor: string; event: string }[];
      expect(events).toHaveLength(2);
      for (const e of events) expect(e.actor).toBe(actor);
      expect(Number(events[0]!.id)).toBeGreaterThan(Number(events[1]!.id));
      expect(events[0]).toMatchObject({ event: 'admin_action', details: { action: 'client.disable' } });
    });

    it('keys list shows the active signing keys and no key material; keys rotate retires them', async () => {
      const before = await cli('keys', 'list');
      expect(before.code, before.stderr).toBe(0);
      const keys = before.json().signing_keys as { kid: string; status: string; algorithm: string }[];
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.status === 'active')).toBe(true);
      expect(Object.keys(keys[0]!).sort()).toEqual(
        ['algorithm', 'created_at', 'encryption_key_id', 'kid', 'retired_at', 'status'].sort(),
      );
      expect((await cli('keys', 'rotate')).code).toBe(0);
      const after = (await cli('keys', 'list')).json().signing_keys as { kid: string; status: string }[];
      for (const k of keys) expect(after).toContainEqual(expect.objectContaining({ kid: k.kid, status: 'retired' }));
    });
  });
});
