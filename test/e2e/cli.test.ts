import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createPgliteDatabase } from '../../src/storage/pglite-database.js';
import type { Database } from '../../src/storage/database.js';
import { describeBackends, type TestDatabase } from '../helpers/backends.js';
import { useTestStorage } from '../helpers/use-test-app.js';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEYS } from '../helpers/app.js';
import { basicAuth } from '../helpers/admin.js';
import { tempDir } from '../helpers/processes.js';
import { seedUser } from '../helpers/oauth.js';
import { startReceiver, verifySignature, waitForEvent } from '../helpers/webhook-receiver.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** `npm run cli -- …` as a process, with exactly this environment (plus PATH and HOME). */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ADMIN_KEY: TEST_ADMIN_KEY,
        ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

/** A config.yml keeping the audit file out of the repository. */
function configFile(dir: string): string {
  const path = join(dir, 'config.yml');
  writeFileSync(path, `audit:\n  file: ${join(dir, 'audit.log')}\n`);
  return path;
}

function authProbe(app: App) {
  app.post('/_auth', async (request) => ({
    client_id: (await app.authenticateClient(request, request.body as Record<string, string>)).client.id,
  }));
}

describe('CLI arguments', () => {
  const env = { GATEHOUSE_CONFIG: configFile(tempDir()), DATA_DIR: tempDir() };

  it.each([
    [['frob'], "unknown command 'frob'"],
    [['clients'], "unknown command 'clients'"],
    [['clients', 'create', '--email', 'a@b.co'], '--name is required'],
    [['clients', 'list', '--limit', 'x'], '--limit must be an integer'],
    [['clients', 'list', '--bogus'], "Unknown option '--bogus'"],
    [['clients', 'disable'], 'expected <client id>'],
    [['clients', 'rotate-secret', 'a', 'b'], 'expected <client id>'],
    [['api-keys', 'create'], '--name is required'],
    [['api-keys', 'revoke', 'not-a-uuid'], 'is not an API key id'],
    [['users', 'list', '--limit', '0'], '--limit must be an integer'],
    [['migrate', 'now'], "unexpected argument 'now'"],
    [['webhooks', 'create', '--event', 'user.deleted'], '--url is required'],
    [['webhooks', 'create', '--url', 'https://u:p@example.com/h', '--event', 'user.deleted'], 'without credentials'],
    [['webhooks', 'create', '--url', 'https://example.com/h', '--event', 'user.created'], 'events.0'],
    [['webhooks', 'delete', 'not-a-uuid'], 'is not a webhook id'],
    [['connections', 'link'], 'expected <connection id>'],
    [
      ['connections', 'link', 'branch-1', '--return-to', 'ftp://shop.example/done'],
      '--return-to must be an absolute https',
    ],
    [['connections', 'link', 'branch-1', '--scope', 'bad"scope'], '--scope #1 must be a scope token'],
    [['connections', 'delete', 'not a connection'], 'is not a connection id'],
    [['connections', 'list', '--api-key', 'nope'], '--api-key must be an API key id'],
  ])('%j exits 2 with the problem on stderr', async (args, message) => {
    const r = await cli(args, env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('prints usage for --help, and help for each command', async () => {
    const all = await cli(['--help'], env);
    expect(all.code).toBe(0);
    for (const name of [
      'migrate',
      'clients create',
      'clients update',
      'clients list',
      'clients disable',
      'clients purge',
      'clients rotate-secret',
      'api-keys create',
      'api-keys list',
      'api-keys revoke',
      'users list',
      'users show',
      'users delete',
      'audit tail',
      'keys list',
      'webhooks create',
      'webhooks list',
      'webhooks delete',
      'connections list',
      'connections link',
      'connections delete',
    ]) {
      expect(all.stdout).toContain(name);
    }
    const one = await cli(['clients', 'create', '--help'], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('usage: gatehouse clients create --name');
  });
});

describeBackends('CLI commands', (backend) => {
  // The CLI runs as a child process on its own database; apps in this process open that one.
  const storage = useTestStorage(backend);
  let database: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    if (backend.name === 'real') {
      // The CLI's own database, shared with an app in this process.
      database = await backend.createDatabase();
      env = {
        DATABASE_URL: database.url!,
        REDIS_URL: process.env.REDIS_URL!,
        REDIS_KEY_PREFIX: storage.storage.cache.prefix,
      };
    } else {
      env = { DATA_DIR: dir };
    }
    env.GATEHOUSE_CONFIG = configFile(dir);
  }, 60_000);
  afterAll(() => database?.drop());

  /**
   * An app on the CLI's database. Embedded: opened after the CLI process has exited (PGlite is
   * single-process), with a fresh in-process cache, as a restarted server would have.
   */
  async function withApp<T>(fn: (app: App) => Promise<T>, file?: Record<string, unknown>): Promise<T> {
    const embedded = backend.name === 'embedded';
    const db: Database = embedded ? await createPgliteDatabase(join(dir, 'pglite')) : database.db;
    const t = await storage.build({
      db,
      file,
      extend: authProbe,
      ...(embedded ? { cache: createMemoryCache() } : {}),
    });
    try {
      return await fn(t.app);
    } finally {
      await t.close();
      if (backend.name === 'embedded') await db.close();
    }
  }
  const authenticate = (app: App, id: string, secret: string) =>
    app.inject({
      method: 'POST',
      url: '/_auth',
      headers: { authorization: basicAuth(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });

  let clientId: string;
  let secret: string;

  it('migrate applies nothing on a migrated database', async () => {
    const r = await cli(['migrate'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ success: true, applied: expect.any(Array) });
  }, 60_000);

  it("clients create / list / rotate-secret / disable, with the HTTP API's validation", async () => {
    const created = await cli(
      [
        'clients',
        'create',
        '--name',
        'Shop',
        '--email',
        'dev@shop.example',
        '--redirect-url',
        'https://shop.example/cb',
        '--grant-type',
        'authorization_code',
        '--grant-type',
        'client_credentials',
        '--scope',
        'openid reports',
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const body = created.json();
    expect(body).toMatchObject({
      success: true,
      client_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      client_secret: expect.any(String),
      scope: 'openid reports',
      grant_types: ['authorization_code', 'client_credentials'],
    });
    clientId = body.client_id;

    const bad = await cli(
      ['clients', 'create', '--name', 'X', '--email', 'dev@shop.example', '--redirect-url', 'http://shop.example/cb'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'gatehouse clients create: invalid_redirect_uri: redirect_urls.0: redirect URL must use https (http only on 127.0.0.1, [::1] or localhost)',
    );

    const list = await cli(['clients', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.json().clients.map((c: { id: string }) => c.id)).toContain(clientId);
    expect(list.stdout).not.toContain('secret_hash');

    const rotated = await cli(['clients', 'rotate-secret', clientId], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    secret = rotated.json().client_secret;
    expect(secret).not.toBe(body.client_secret);

    // clients update: the PATCH /clients/:id rules (only the options given change).
    const updated = await cli(
      ['clients', 'update', clientId, '--post-logout-redirect-url', 'https://shop.example/bye', '--name', 'Shop 2'],
      env,
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.json().client).toMatchObject({
      app_name: 'Shop 2',
      post_logout_redirect_uris: ['https://shop.example/bye'],
      redirect_uris: ['https://shop.example/cb'],
      scope: 'openid reports',
    });
    const badUpdate = await cli(
      ['clients', 'update', clientId, '--post-logout-redirect-url', 'http://shop.example/bye'],
      env,
    );
    expect(badUpdate.code).toBe(2);
    expect(badUpdate.stderr).toContain('invalid_redirect_uri');

    const missing = await cli(['clients', 'disable', 'no-such-client'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('gatehouse clients disable: not_found: no such client');
  }, 90_000);

  it('a client created by the CLI authenticates over HTTP; disabled by the CLI, it no longer does', async () => {
    if (backend.name === 'real') {
      // A running instance hears about the change through Redis pub/sub.
      await withApp(async (app) => {
        expect((await authenticate(app, clientId, secret)).statusCode).toBe(200);
        const disabled = await cli(['clients', 'disable', clientId], env);
        expect(disabled.code, disabled.stderr).toBe(0);
        await vi.waitFor(async () => expect((await authenticate(app, clientId, secret)).statusCode).toBe(401), {
          timeout: 1000,
          interval: 50,
        });
      });
    } else {
      await withApp(async (app) => expect((await authenticate(app, clientId, secret)).statusCode).toBe(200));
      const disabled = await cli(['clients', 'disable', clientId], env);
      expect(disabled.code, disabled.stderr).toBe(0);
      expect(disabled.json()).toEqual({ success: true, client_id: clientId, disabled: true });
      await withApp(async (app) => expect((await authenticate(app, clientId, secret)).statusCode).toBe(401));
    }
  }, 90_000);

  it('api-keys create / list / revoke, and users list; every change is audited', async () => {
    const created = await cli(['api-keys', 'create', '--name', 'reviews', '--scope', 'tokens,connections'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.json();
    expect(key).toMatchObject({
      success: true,
      name: 'reviews',
      scopes: ['tokens', 'connections'],
      api_key: expect.stringMatching(/^gh_/),
    });

    const badScope = await cli(['api-keys', 'create', '--name', 'x', '--scope', 'admin'], env);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('scopes.0');

    const list = await cli(['api-keys', 'list'], env);
    expect(list.json().api_keys).toEqual([expect.objectContaining({ id: key.id, revoked: false })]);
    expect(list.stdout).not.toContain(key.api_key);

    const revoked = await cli(['api-keys', 'revoke', key.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toEqual({ success: true, id: key.id, revoked: true });
    expect((await cli(['api-keys', 'revoke', '00000000-0000-4000-8000-000000000000'], env)).code).toBe(1);

    const users = await cli(['users', 'list'], env);
    expect(users.code, users.stderr).toBe(0);
    expect(users.json()).toEqual({ success: true, users: [] });

    const actions = await withApp(
      async (app) =>
        (
          await app.db.query<{ action: string; actor: string }>(
            "SELECT details->>'action' AS action, actor FROM audit_events WHERE event = 'admin_action' ORDER BY id",
          )
        ).rows,
    );
    expect(actions.map((a) => a.action)).toEqual([
      'client.register',
      'client.rotate_secret',
      'client.update',
      'client.disable',
      'api_key.create',
      'api_key.revoke',
    ]);
    expect(actions.every((a) => a.actor.startsWith('cli:'))).toBe(true);
  }, 90_000);

  it('api-keys create sets default_subject and allowed_clients, and refuses bad ones', async () => {
    const person = await cli(['api-keys', 'create', '--name', 'ada-reports', '--default-subject', 'ada'], env);
    expect(person.code, person.stderr).toBe(0);
    expect(person.json()).toMatchObject({
      name: 'ada-reports',
      default_subject: { subject: 'ada' },
      allowed_clients: [],
    });
    const branch = await cli(['api-keys', 'create', '--name', 'branch', '--default-connection', 'shop:branch-7'], env);
    expect(branch.json()).toMatchObject({ default_subject: { connection_id: 'shop:branch-7' } });
    const external = await cli(
      ['api-keys', 'create', '--name', 'sso', '--scope', 'external', '--allowed-client', 'abc,def'],
      env,
    );
    expect(external.code, external.stderr).toBe(0);
    expect(external.json()).toMatchObject({ scopes: ['external'], allowed_clients: ['abc', 'def'] });
    for (const bad of [
      ['--default-subject', 'ada', '--default-connection', 'x'],
      ['--default-connection', '6f1c3e4a-1111-4222-8333-944455556666'],
      ['--allowed-client', 'abc'],
    ]) {
      const r = await cli(['api-keys', 'create', '--name', 'bad', ...bad], env);
      expect(r.code, bad.join(' ')).toBe(2);
    }
  }, 90_000);

  it('keys rotate makes a new signing key active for every algorithm and keeps the old ones in the JWKS', async () => {
    type Jwk = { kid: string; alg: string };
    const jwks = () =>
      withApp(async (app) => (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Jwk[]);
    const before = await jwks();
    // The access-token key (ES256) and one per ID token algorithm (RS256 first in discovery).
    expect(before.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    const r = await cli(['keys', 'rotate'], env);
    expect(r.code, r.stderr).toBe(0);
    const es256 = before.find((k) => k.alg === 'ES256')!.kid;
    expect(r.json()).toMatchObject({ success: true, kid: expect.any(String), retiredKid: es256 });
    expect((r.json().rotated as { alg: string }[]).map((x) => x.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    const after = await jwks();
    for (const k of before) expect(after.map((a) => a.kid)).toContain(k.kid);
    expect(after).toHaveLength(6);
    expect(
      after
        .filter((k) => k.alg === 'ES256')
        .map((k) => k.kid)
        .sort(),
    ).toEqual([es256, r.json().kid].sort());
  }, 90_000);

  it('janitor run deletes expired rows and reports counts', async () => {
    await withApp(async (app) => {
      await app.db.query(
        "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ('cli-expired-jti', now() - interval '1 day')",
      );
    });
    const r = await cli(['janitor', 'run'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ success: true, failed: [], counts: expect.objectContaining({}) });
    const left = await withApp(
      async (app) => (await app.db.query("SELECT 1 FROM revoked_access_tokens WHERE jti = 'cli-expired-jti'")).rowCount,
    );
    expect(left).toBe(0);
  }, 90_000);

  it('webhooks create / list / delete; the secret is shown once and the server signs with it', async () => {
    const receiver = await startReceiver();
    const created = await cli(
      ['webhooks', 'create', '--url', receiver.url, '--event', 'user.deleted,connection.deleted'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const hook = created.json();
    expect(hook).toEqual({
      success: true,
      id: expect.any(String),
      url: receiver.url,
      events: ['user.deleted', 'connection.deleted'],
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_/),
    });
    const list = await cli(['webhooks', 'list'], env);
    expect(list.json().webhooks).toEqual([
      { id: hook.id, url: hook.url, events: hook.events, created_at: hook.created_at },
    ]);
    expect(list.stdout).not.toContain(hook.secret);
    // The server decrypts what the CLI stored and signs with it.
    await withApp(
      async (app) => {
        const user = await seedUser(app.db);
        expect(
          (await app.inject({ method: 'DELETE', url: `/users/${user.id}`, headers: { 'x-admin-key': TEST_ADMIN_KEY } }))
            .statusCode,
        ).toBe(200);
        const r = await waitForEvent(receiver, (e) => e.data.user_id === user.id);
        expect(verifySignature(hook.secret, r.signature, r.body)).toBe(true);
      },
      { webhooks: { poll_interval_ms: 100 } },
    );
    await receiver.close();
    const deleted = await cli(['webhooks', 'delete', hook.id], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.json()).toEqual({ success: true, id: hook.id, deleted: true });
    expect((await cli(['webhooks', 'delete', hook.id], env)).code).toBe(1);
    expect((await cli(['webhooks', 'list'], env)).json().webhooks).toEqual([]);
  }, 90_000);

  it('connections link / list / delete: the link opens the confirmation page, delete revokes at Google and tells webhooks', async () => {
    // Google's revocation endpoint, so the test sees what the CLI revoked.
    const revoked: string[] = [];
    const google = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        revoked.push(new URLSearchParams(body).get('token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => google.listen(0, '127.0.0.1', resolve));
    const revokeUrl = `http://127.0.0.1:${(google.address() as AddressInfo).port}/revoke`;
    const scope = 'https://www.googleapis.com/auth/business.manage';
    try {
      const linked = await cli(
        ['connections', 'link', 'branch-42', '--return-to', 'https://shop.example/done', '--scope', scope],
        env,
      );
      expect(linked.code, linked.stderr).toBe(0);
      const link = linked.json();
      expect(link).toEqual({
        success: true,
        connection_id: 'branch-42',
        connect_url: expect.stringMatching(/^http:\/\/localhost:8000\/connect\?token=/),
        expires_at: expect.any(String),
      });
      await withApp(async (app) => {
        const page = await app.inject({
          method: 'GET',
          url: new URL(link.connect_url).pathname + new URL(link.connect_url).search,
        });
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('branch-42');
        // As if the person had connected: the grant the vault holds for the connection.
        await app.repos.connections.ensure('branch-42', null);
        await app.repos.googleCredentials.save(
          { connectionId: 'branch-42' },
          {
            accessToken: 'ya29.cli-test',
            expiresIn: 3600,
            refreshToken: '1//cli-refresh',
            scope: `openid ${scope}`,
            email: 'shop@example.com',
          },
        );
        const hook = await app.inject({
          method: 'POST',
          url: '/internal/webhooks',
          headers: { 'x-admin-key': TEST_ADMIN_KEY },
          payload: { url: 'http://127.0.0.1:9/hook', events: ['connection.deleted'] },
        });
        expect(hook.statusCode).toBe(201);
      });

      const listed = await cli(['connections', 'list'], env);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json().connections).toEqual([
        {
          connection_id: 'branch-42',
          status: 'active',
          reauth_required: false,
          google_email: 'shop@example.com',
          scopes: expect.arrayContaining(['openid', scope]),
          expiry: expect.any(Number),
          last_refreshed_at: expect.any(String),
          created_by_api_key: null,
          created_at: expect.any(String),
        },
      ]);
      expect(listed.stdout).not.toContain('ya29.cli-test');

      const deleted = await cli(['connections', 'delete', 'branch-42'], { ...env, GOOGLE_REVOKE_URL: revokeUrl });
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.json()).toEqual({
        success: true,
        connection_id: 'branch-42',
        deleted: true,
        revoked_at_google: true,
      });
      expect(revoked).toEqual(['1//cli-refresh']);
      await withApp(async (app) => {
        expect(await app.repos.connections.find('branch-42')).toBeNull();
        const events = await app.db.query<{ data: { connection_id: string } }>(
          "SELECT data FROM webhook_events WHERE type = 'connection.deleted'",
        );
        expect(events.rows.map((r) => r.data.connection_id)).toContain('branch-42');
      });
      const again = await cli(['connections', 'delete', 'branch-42'], env);
      expect(again.code).toBe(1);
      expect((await cli(['connections', 'list'], env)).json().connections).toEqual([]);
    } finally {
      await new Promise((resolve) => google.close(resolve));
    }
  }, 180_000);

  it('keys reencrypt moves every ciphertext to the active key', async () => {
    const newKeys = `next:${Buffer.alloc(32, 9).toString('base64')},${TEST_ENCRYPTION_KEYS}`;
    const r = await cli(['keys', 'reencrypt', '--batch-size', '50'], { ...env, ENCRYPTION_KEYS: newKeys });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ success: true, activeKid: 'next' });
    // Read the rows directly: an app with only the old keys would (rightly) refuse to start now.
    const db: Database = backend.name === 'embedded' ? await createPgliteDatabase(join(dir, 'pglite')) : database.db;
    const kids = (await db.query<{ encryption_key_id: string }>('SELECT encryption_key_id FROM signing_keys')).rows;
    if (backend.name === 'embedded') await db.close();
    expect(kids.length).toBeGreaterThan(0);
    expect(kids.every((k) => k.encryption_key_id === 'next')).toBe(true);
    expect((await cli(['keys', 'reencrypt', '--batch-size', 'x'], env)).code).toBe(2);
  }, 90_000);
});
